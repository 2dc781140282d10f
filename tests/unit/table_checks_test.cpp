#include "table_checks.hpp"

#include <gtest/gtest.h>

namespace superd::import {
namespace {

ImportedService Make(const std::string& name, const std::string& listen,
                     const std::string& protocol = "", int line = 1) {
  ImportedService s;
  s.name = name;
  s.file = "f";
  s.line = line;
  s.listen = {listen};
  s.protocol = protocol;
  s.program = "/bin/cat";
  return s;
}

std::vector<std::string> Warnings(const ImportedTable& t) {
  std::vector<std::string> out;
  for (const ImportMessage& m : t.messages) out.push_back(m.Format());
  return out;
}

TEST(TableChecks, ServiceNames) {
  EXPECT_EQ(SanitizeServiceName("echo-stream.v2_x"), "echo-stream.v2_x");
  EXPECT_EQ(SanitizeServiceName("a+b c/d"), "a_b_c_d");
  EXPECT_EQ(SanitizeServiceName("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(SanitizeServiceName(""), "service");
}

TEST(TableChecks, Utf8) {
  EXPECT_TRUE(ValidUtf8("plain ascii"));
  EXPECT_TRUE(ValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(ValidUtf8("latin-1 caf\xe9"));
  EXPECT_FALSE(ValidUtf8("\xc3"));             // cut short
  EXPECT_FALSE(ValidUtf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(ValidUtf8("\xed\xa0\x80"));     // a surrogate
  EXPECT_FALSE(ValidUtf8("\xf4\x90\x80\x80")); // beyond U+10FFFF
}

TEST(TableChecks, ATakenNameGetsASuffix) {
  ImportedTable t;
  t.services = {Make("a", "127.0.0.1:1"), Make("a", "127.0.0.1:2", "", 5), Make("a-2", "127.0.0.1:3"),
                Make("a", "127.0.0.1:4", "", 9)};
  SettleTable(t);
  ASSERT_EQ(t.services.size(), 4u);
  EXPECT_EQ(t.services[1].name, "a-3");  // a-2 is taken by the third
  EXPECT_EQ(t.services[3].name, "a-4");
  EXPECT_EQ(Warnings(t), (std::vector<std::string>{
                             "f:5: warning: service name 'a' is taken (f:1): imported as 'a-3'",
                             "f:9: warning: service name 'a' is taken (f:1): imported as 'a-4'"}));
}

TEST(TableChecks, TheSecondServiceOnASocketIsDisabled) {
  auto disabled = [](std::vector<ImportedService> services) {
    ImportedTable t;
    t.services = std::move(services);
    SettleTable(t);
    return t.services.back().disabled;
  };
  EXPECT_TRUE(disabled({Make("a", "*:7"), Make("b", "127.0.0.1:7")}));
  EXPECT_TRUE(disabled({Make("a", "[::1]:7"), Make("b", "*:7")}));
  EXPECT_TRUE(disabled({Make("a", "0.0.0.0:7"), Make("b", "127.0.0.1:7")}));
  EXPECT_TRUE(disabled({Make("a", "127.0.0.1:7"), Make("b", "127.0.0.1:7")}));
  EXPECT_FALSE(disabled({Make("a", "0.0.0.0:7"), Make("b", "[::1]:7")}));
  EXPECT_FALSE(disabled({Make("a", "127.0.0.1:7"), Make("b", "127.0.0.2:7")}));
  EXPECT_FALSE(disabled({Make("a", "*:7"), Make("b", "*:7", "udp")}));
  EXPECT_FALSE(disabled({Make("a", "*:7"), Make("b", "*:8")}));
  // A host name may be any address: superd resolves it when it loads.
  EXPECT_TRUE(disabled({Make("a", "localhost:7"), Make("b", "127.0.0.1:7")}));
  EXPECT_TRUE(disabled({Make("a", "*:7"), Make("b", "localhost:7")}));
  EXPECT_FALSE(disabled({Make("a", "localhost:7"), Make("b", "localhost:8")}));
  ImportedService off = Make("a", "*:7");
  off.disabled = true;
  EXPECT_FALSE(disabled({off, Make("b", "*:7")}));
}

TEST(TableChecks, TextThatIsNotUtf8LeavesTheServiceOut) {
  ImportedTable t;
  t.services = {Make("a", "*:7"), Make("b", "*:8", "", 4)};
  t.services[1].args = {"caf\xe9"};
  SettleTable(t);
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_EQ(Warnings(t), std::vector<std::string>{"f:4: warning: service 'b' holds text that is not "
                                                  "UTF-8, which a YAML file cannot; left out"});
}

}  // namespace
}  // namespace superd::import
