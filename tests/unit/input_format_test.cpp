#include "input_format.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace superd::import {
namespace {

class InputFormatTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "superd-import-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
  std::string dir_;
};

TEST_F(InputFormatTest, ADirectoryOrAFileOfBlocksIsXinetdAndTheRestInetdConf) {
  std::string error;
  EXPECT_EQ(DetectFormat(dir_, error), InputFormat::kXinetd);
  EXPECT_EQ(DetectFormat(Write("echo", "service echo\n{\n}\n"), error), InputFormat::kXinetd);
  EXPECT_EQ(DetectFormat(Write("xinetd.conf", "defaults\n{\n}\nincludedir /etc/xinetd.d\n"), error),
            InputFormat::kXinetd);
  EXPECT_EQ(DetectFormat(Write("inetd.conf", "echo stream tcp nowait root internal\n"), error),
            InputFormat::kInetdConf);
  EXPECT_FALSE(DetectFormat(dir_ + "/nowhere", error));
  EXPECT_EQ(error, "No such file or directory");
}

TEST_F(InputFormatTest, InetdConfIsReadByTheDaemonsOwnReader) {
  const std::string path = Write("inetd.conf", "7100 stream tcp nowait root /bin/cat cat\n"
                                               "7101 stream tcp sometimes root /bin/cat cat\n");
  const ImportedTable t = Import(InputFormat::kInetdConf, path, {});
  EXPECT_EQ(t.format, "inetd.conf");
  EXPECT_FALSE(t.ok());
  ASSERT_EQ(t.messages.size(), 1u);
  EXPECT_EQ(t.messages[0].line, 2);
  EXPECT_FALSE(t.messages[0].warning);
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_EQ(t.services[0].name, "7100.tcp");
  EXPECT_EQ(t.services[0].argv0, "cat");
  EXPECT_EQ(t.services[0].rate_limit, "256/1m");
  EXPECT_EQ(t.services[0].stderr_mode, "socket");
}

TEST_F(InputFormatTest, XinetdIsReadThroughTheRealFileSystem) {
  std::filesystem::create_directory(dir_ + "/xinetd.d");
  Write("xinetd.d/echo", "service echo\n{\n type = INTERNAL\n socket_type = stream\n wait = no\n"
                         " port = 7\n}\n");
  Write("xinetd.conf", "includedir xinetd.d\n");
  const ImportedTable t = Import(InputFormat::kXinetd, dir_ + "/xinetd.conf", {"/nonexistent"});
  EXPECT_TRUE(t.ok());
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_EQ(t.services[0].program, "/nonexistent/echo");
  EXPECT_TRUE(t.services[0].disabled);  // no such sample program here
  EXPECT_EQ(t.files, (std::vector<std::string>{dir_ + "/xinetd.conf", dir_ + "/xinetd.d/echo"}));
}

}  // namespace
}  // namespace superd::import
