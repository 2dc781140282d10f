// The files of a table: ReadTableFile and ExpandPattern on a scratch
// directory, and what the loader makes of `include` (drop-ins in sorted
// order, names unique across files, each diagnostic naming its file) and
// `watch`, and how `inetd_conf` entries join the table.
#include "table_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "table_loader.hpp"

namespace superd {
namespace {

namespace fs = std::filesystem;

class TableFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/superd-table-files-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }
  // A service NAME on 127.0.0.1:PORT running /bin/cat.
  static std::string Service(const std::string& name, int port) {
    return "  " + name + ":\n    listen: \"127.0.0.1:" + std::to_string(port) +
           "\"\n    program: /bin/cat\n";
  }
  LoadResult LoadMain(const std::string& text) { return LoadTable(Write("superd.yaml", text)); }
  std::vector<std::string> Names(const ServiceTable& table) {
    std::vector<std::string> names;
    for (const auto& s : table.services) names.push_back(s.name);
    return names;
  }

  std::string dir_;
};

TEST_F(TableFiles, ReadsARegularFileAndRefusesWhatIsNot) {
  std::string text;
  EXPECT_EQ(ReadTableFile(Write("a", "hello\n"), text), "");
  EXPECT_EQ(text, "hello\n");
  EXPECT_EQ(ReadTableFile(dir_, text), "not a regular file");
  EXPECT_EQ(ReadTableFile(dir_ + "/missing", text), "No such file or directory");
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(ReadTableFile(fifo, text), "not a regular file");  // and did not wait
}

TEST_F(TableFiles, APatternNamesItsFilesSortedRelativeToTheTableAndSkipsDirectories) {
  Write("conf.d/b.yaml", "");
  Write("conf.d/a.yaml", "");
  Write("conf.d/c.txt", "");
  fs::create_directories(dir_ + "/conf.d/d.yaml");
  EXPECT_EQ(ExpandPattern("conf.d/*.yaml", dir_ + "/superd.yaml"),
            (std::vector<std::string>{dir_ + "/conf.d/a.yaml", dir_ + "/conf.d/b.yaml"}));
  EXPECT_EQ(ExpandPattern(dir_ + "/conf.d/c.*", "/elsewhere/superd.yaml"),
            std::vector<std::string>{dir_ + "/conf.d/c.txt"});
  EXPECT_TRUE(ExpandPattern("nothing/*.yaml", dir_ + "/superd.yaml").empty());
  EXPECT_EQ(DirectoryOf("/etc/superd/superd.yaml"), "/etc/superd");
  EXPECT_EQ(DirectoryOf("/superd.yaml"), "/");
  EXPECT_EQ(DirectoryOf("superd.yaml"), ".");
}

TEST_F(TableFiles, IncludedServicesFollowTheTablesInSortedOrderAndInheritItsDefaults) {
  Write("conf.d/20-b.yaml", "services:\n" + Service("b", 7102));
  Write("conf.d/10-a.yaml", "services:\n" + Service("a", 7101) + Service("a2", 7103));
  Write("conf.d/notes.txt", "not yaml: [");
  LoadResult r = LoadMain("defaults:\n  max_instances: 7\ninclude: conf.d/*.yaml\nservices:\n" +
                          Service("main", 7100));
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_EQ(Names(*r.table), (std::vector<std::string>{"main", "a", "a2", "b"}));
  for (const auto& s : r.table->services) EXPECT_EQ(s.max_instances, 7) << s.name;
  EXPECT_EQ(r.table->files,
            (std::vector<std::string>{dir_ + "/superd.yaml", dir_ + "/conf.d/10-a.yaml",
                                      dir_ + "/conf.d/20-b.yaml"}));
  EXPECT_EQ(r.table->patterns, std::vector<std::string>{dir_ + "/conf.d/*.yaml"});
  EXPECT_TRUE(r.table->watch);
}

TEST_F(TableFiles, APatternThatMatchesNothingIsFineAndAFileNamedTwiceIsReadOnce) {
  Write("one.yaml", "services:\n" + Service("one", 7101));
  LoadResult r = LoadMain("include: [\"none/*.yaml\", one.yaml, \"*.yaml\"]\nservices:\n");
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_EQ(Names(*r.table), std::vector<std::string>{"one"});
}

TEST_F(TableFiles, ANameDefinedTwiceIsAnErrorNamingBothPositions) {
  Write("conf.d/a.yaml", "services:\n" + Service("echo", 7101));
  LoadResult r = LoadMain("include: conf.d/*.yaml\nservices:\n" + Service("echo", 7100));
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/conf.d/a.yaml:2:3: error: service 'echo' is defined twice (first at " +
                dir_ + "/superd.yaml:3:3)\n");
}

TEST_F(TableFiles, EachErrorNamesTheFileItIsIn) {
  Write("conf.d/a.yaml",
        "services:\n  bad:\n    listen: \"127.0.0.1:7101\"\n    program: /bin/cat\n"
        "    max_instances: many\n");
  Write("conf.d/b.yaml", "services: [\n");
  Write("conf.d/c.yaml", "defaults:\n  nice: 1\nservices:\n");
  Write("conf.d/d.yaml", "- a list\n");
  LoadResult r = LoadMain("include: conf.d/*.yaml\nservices:\n  main:\n    listen: nowhere\n"
                          "    program: /bin/cat\n");
  EXPECT_FALSE(r.table);
  const std::string d = dir_ + "/conf.d/";
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/superd.yaml:4:13: error: listen: unknown tcp service 'nowhere' "
                   "(not in /etc/services)\n" +
                d + "a.yaml:5:20: error: max_instances: expected an integer, not 'many'\n" +
                d + "b.yaml:2:1: error: YAML syntax error: end of sequence flow not found\n" +
                d + "c.yaml:1:1: error: unknown key 'defaults'\n" +
                d + "d.yaml:1:1: error: an included file must be a map with a 'services' key, "
                    "not a list\n");
}

TEST_F(TableFiles, AWrongDefaultIsReportedOnceInTheTableNotInEachIncludedFile) {
  Write("conf.d/a.yaml", "services:\n" + Service("a", 7101));
  LoadResult r = LoadMain("defaults:\n  nice: [1]\ninclude: conf.d/*.yaml\nservices:\n" +
                          Service("main", 7100));
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll(), dir_ + "/superd.yaml:2:9: error: nice: expected a single "
                                              "value, not a list\n");
}

TEST_F(TableFiles, TwoFilesThatNeedOneSocketConflictAtTheLaterService) {
  Write("conf.d/a.yaml", "services:\n" + Service("a", 7100));
  LoadResult r = LoadMain("include: conf.d/*.yaml\nservices:\n" + Service("main", 7100));
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/conf.d/a.yaml:2:3: error: service 'a': 127.0.0.1:7100/tcp is the same "
                   "socket as 127.0.0.1:7100/tcp of service 'main'\n");
}

TEST_F(TableFiles, WatchCanBeTurnedOff) {
  LoadResult r = LoadMain("watch: false\nservices:\n");
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_FALSE(r.table->watch);
  r = LoadMain("watch: sometimes\nservices:\n");
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/superd.yaml:1:8: error: watch: expected true or false, not 'sometimes'\n");
}

TEST_F(TableFiles, InetdConfEntriesFollowTheYamlServicesWhichReplaceThoseOfTheirName) {
  Write("inetd.conf",
        "#:STANDARD: These are standard services.\n"
        "127.0.0.1:7101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n"
        "127.0.0.1:7102\tdgram\tudp\twait\troot\t/bin/cat\tcat\n"
        "127.0.0.1:7103\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n"
        "#<off># 127.0.0.1:7104\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  Write("inetd.d/other", "127.0.0.1:7101\tdgram\tudp\twait\troot\t/bin/cat\tcat\n");
  // A YAML service named as an entry replaces it; named as an entry's
  // service, every entry of that service.
  LoadResult r = LoadMain("inetd_conf: [inetd.conf, \"inetd.d/*\"]\nservices:\n" +
                          Service("7103.tcp", 7200) + Service("7102", 7201));
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_EQ(Names(*r.table), (std::vector<std::string>{"7103.tcp", "7102", "7101.tcp",
                                                       "7104.tcp", "7101.udp"}));
  EXPECT_TRUE(r.table->services[3].disabled);
  EXPECT_EQ(r.table->files, (std::vector<std::string>{dir_ + "/superd.yaml", dir_ + "/inetd.conf",
                                                      dir_ + "/inetd.d/other"}));
  EXPECT_EQ(r.table->patterns,
            (std::vector<std::string>{dir_ + "/inetd.conf", dir_ + "/inetd.d/*"}));
}

TEST_F(TableFiles, AnEntryNameAnotherInetdConfFileTookFirstIsNumbered) {
  Write("inetd.d/a", "127.0.0.1:7101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  Write("inetd.d/b", "127.0.0.2:7101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  Write("inetd.d/c", "127.0.0.3:7101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  LoadResult r = LoadMain("inetd_conf: \"inetd.d/*\"\nservices:\n");
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_EQ(Names(*r.table), (std::vector<std::string>{"7101.tcp", "7101.tcp.2", "7101.tcp.3"}));
}

TEST_F(TableFiles, InetdConfProblemsNameTheirFileAndWarningsLeaveTheTableValid) {
  Write("inetd.conf", "rstatd/1-5\tdgram\trpc/udp\twait\tnobody\t/usr/sbin/rpc.rstatd\n"
                      "127.0.0.1:7101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  LoadResult r = LoadMain("inetd_conf: inetd.conf\nservices:\n");
  ASSERT_TRUE(r.table) << r.diagnostics.FormatAll();
  EXPECT_EQ(Names(*r.table), std::vector<std::string>{"7101.tcp"});
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/inetd.conf:1:1: warning: " + r.diagnostics.warnings()[0].message + "\n");
  EXPECT_NE(r.diagnostics.warnings()[0].message.find("rpc"), std::string::npos);

  Write("inetd.conf", "127.0.0.1:7101\tstream\ttcp\tnowait\tnosuchuser\t/bin/cat\tcat\n");
  r = LoadMain("inetd_conf: inetd.conf\nservices:\n");
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll().rfind(dir_ + "/inetd.conf:1:", 0), 0u)
      << r.diagnostics.FormatAll();
}

TEST_F(TableFiles, AnInetdConfEntryAndAYamlServiceOnOneSocketConflictAtTheEntry) {
  Write("inetd.conf", "127.0.0.1:7100\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n");
  LoadResult r = LoadMain("inetd_conf: inetd.conf\nservices:\n" + Service("main", 7100));
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll(),
            dir_ + "/inetd.conf:1:1: error: service '7100.tcp': 127.0.0.1:7100/tcp is the same "
                   "socket as 127.0.0.1:7100/tcp of service 'main'\n");
}

}  // namespace
}  // namespace superd
