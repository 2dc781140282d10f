#include "xinetd_conf.hpp"

#include <gtest/gtest.h>

#include "xinetd_fakes.hpp"

namespace superd {
namespace {

using testing_fakes::FakeFiles;

std::vector<std::string> Messages(const XinetdConfig& c) {
  std::vector<std::string> out;
  for (const XinetdMessage& m : c.messages) out.push_back(m.Format());
  return out;
}

XinetdConfig Parse(const std::string& text) {
  FakeFiles files;
  files.File("/etc/xinetd.conf", text);
  return ReadXinetdConf("/etc/xinetd.conf", files);
}

TEST(XinetdConf, ServiceBlockWithAttributesAndOperators) {
  const XinetdConfig c = Parse(
      "# a comment\n"
      "\n"
      "service echo\n"
      "{\n"
      "\tsocket_type = stream\n"
      "   only_from += 10.0.0.0/8   192.0.2.1\n"
      "\tno_access -= 10.1.0.0\n"
      "\tserver_args = -x #not-a-comment\n"
      "  # a comment inside\n"
      "\tonly_from =\n"
      "}\n");
  ASSERT_TRUE(c.ok()) << testing::PrintToString(Messages(c));
  ASSERT_EQ(c.blocks.size(), 1u);
  const XinetdBlock& b = c.blocks[0];
  EXPECT_FALSE(b.defaults);
  EXPECT_EQ(b.name, "echo");
  EXPECT_EQ(b.position, (XinetdPosition{"/etc/xinetd.conf", 3}));
  ASSERT_EQ(b.attributes.size(), 5u);
  EXPECT_EQ(b.attributes[0].name, "socket_type");
  EXPECT_EQ(b.attributes[0].op, XinetdOperator::kSet);
  EXPECT_EQ(b.attributes[0].values, std::vector<std::string>{"stream"});
  EXPECT_EQ(b.attributes[0].position.line, 5);
  EXPECT_EQ(b.attributes[1].op, XinetdOperator::kAdd);
  EXPECT_EQ(b.attributes[1].values, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"}));
  EXPECT_EQ(b.attributes[2].op, XinetdOperator::kRemove);
  EXPECT_EQ(b.attributes[3].values, (std::vector<std::string>{"-x", "#not-a-comment"}));
  EXPECT_EQ(b.attributes[4].position.line, 10);
  EXPECT_TRUE(b.attributes[4].values.empty());
  EXPECT_EQ(c.files, std::vector<std::string>{"/etc/xinetd.conf"});
}

TEST(XinetdConf, OperatorWithoutBlanksAfterItAndCarriageReturns) {
  const XinetdConfig c = Parse("service a\r\n{\r\n port =80\r\n flags +=IPv4 IPv6\r\n}\r\n");
  ASSERT_TRUE(c.ok()) << testing::PrintToString(Messages(c));
  ASSERT_EQ(c.blocks.size(), 1u);
  EXPECT_EQ(c.blocks[0].attributes[0].values, std::vector<std::string>{"80"});
  EXPECT_EQ(c.blocks[0].attributes[1].values, (std::vector<std::string>{"IPv4", "IPv6"}));
}

TEST(XinetdConf, DefaultsBlockAndServicesInOrder) {
  const XinetdConfig c = Parse(
      "service one\n{\n wait = no\n}\n"
      "defaults\n{\n instances = 10\n disabled = one\n}\n"
      "service two\n{\n}\n");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.blocks.size(), 3u);
  EXPECT_EQ(c.blocks[0].name, "one");
  EXPECT_TRUE(c.blocks[1].defaults);
  EXPECT_EQ(c.blocks[1].name, "");
  EXPECT_EQ(c.blocks[1].attributes.size(), 2u);
  EXPECT_EQ(c.blocks[2].name, "two");
  EXPECT_TRUE(c.blocks[2].attributes.empty());
}

TEST(XinetdConf, MalformedInputIsAnErrorAtItsLine) {
  const XinetdConfig c = Parse(
      "service a\n"          // 1
      "{\n"                  // 2
      " port=80\n"           // 3: no blank before '='
      " wait yes\n"          // 4: no operator
      " user *= root\n"      // 5: bad operator
      " server\n"            // 6: nothing after the name
      "}\n"                  // 7
      "servce b\n"           // 8: misspelt keyword
      "{\n"                  // 9: skipped with its block
      " wait = no\n"         // 10
      "}\n"                  // 11
      "}\n"                  // 12: nothing to close
      "service c {\n"        // 13: '{' on the same line
      " wait = no\n"         // 14: read on as a block
      "}\n"                  // 15
      "service\n"            // 16: no name
      "{\n"                  // 17
      "}\n"                  // 18
      "defaults\n"           // 19
      " wait = no\n");       // 20: no '{'
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(Messages(c),
            (std::vector<std::string>{
                "/etc/xinetd.conf:3: error: attribute 'port' needs a blank before its operator",
                "/etc/xinetd.conf:4: error: expected '=', '+=' or '-=' after 'wait'",
                "/etc/xinetd.conf:5: error: expected '=', '+=' or '-=' after 'user'",
                "/etc/xinetd.conf:6: error: attribute 'server' without an operator and a value",
                "/etc/xinetd.conf:8: error: expected 'service NAME', 'defaults', 'include FILE' "
                "or 'includedir DIR', not 'servce'",
                "/etc/xinetd.conf:12: error: '}' without a block to close",
                "/etc/xinetd.conf:13: error: '{' must be on a line of its own, after 'service c'",
                "/etc/xinetd.conf:16: error: 'service' without a name",
                "/etc/xinetd.conf:20: error: expected '{' on the line after line 19",
            }));
}

TEST(XinetdConf, UnclosedBlocksAreErrors) {
  EXPECT_EQ(Messages(Parse("service a\n{\n wait = no\n")),
            std::vector<std::string>{"/etc/xinetd.conf:1: error: service 'a' has no closing '}' "
                                     "before the end of the file"});
  EXPECT_EQ(Messages(Parse("service a\n")),
            std::vector<std::string>{"/etc/xinetd.conf:1: error: expected a '{' block after this "
                                     "line, not the end of the file"});
  // The next block's header inside a block: its '}' is missing.
  const XinetdConfig c = Parse("service a\n{\n wait = no\nservice b\n{\n wait = no\n}\n");
  EXPECT_EQ(Messages(c), std::vector<std::string>{"/etc/xinetd.conf:1: error: service 'a' has no "
                                                  "closing '}' before line 4"});
  ASSERT_EQ(c.blocks.size(), 1u);
  EXPECT_EQ(c.blocks[0].name, "b");
}

TEST(XinetdConf, ExtraWordsAfterTheNameAreIgnoredWithAWarning) {
  const XinetdConfig c = Parse("service a b\n{\n}\n");
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(Messages(c), std::vector<std::string>{"/etc/xinetd.conf:1: warning: words after 'a' "
                                                  "are ignored, as xinetd does"});
  EXPECT_EQ(c.blocks.at(0).name, "a");
}

TEST(XinetdConf, IncludeAndIncludedirAreReadWhereTheyStand) {
  FakeFiles files;
  files.File("/etc/xinetd.conf",
             "defaults\n{\n}\n"
             "include /etc/xinetd.extra\n"
             "includedir /etc/xinetd.d\n"
             "service last\n{\n}\n")
      .File("/etc/xinetd.extra", "service extra\n{\n}\n")
      .Dir("/etc/xinetd.d")
      .File("/etc/xinetd.d/b", "service b\n{\n}\n")
      .File("/etc/xinetd.d/a", "service a\n{\n}\n")
      .File("/etc/xinetd.d/B", "service B\n{\n}\n")
      .File("/etc/xinetd.d/a.dpkg-old", "service old\n{\n}\n")
      .File("/etc/xinetd.d/c~", "service backup\n{\n}\n")
      .File("/etc/xinetd.d/.hidden", "service hidden\n{\n}\n")
      .Fifo("/etc/xinetd.d/pipe");
  const XinetdConfig c = ReadXinetdConf("/etc/xinetd.conf", files);
  EXPECT_TRUE(c.ok());
  std::vector<std::string> names;
  for (const XinetdBlock& b : c.blocks) names.push_back(b.defaults ? "(defaults)" : b.name);
  // C-locale order: upper case first.
  EXPECT_EQ(names, (std::vector<std::string>{"(defaults)", "extra", "B", "a", "b", "last"}));
  EXPECT_EQ(c.files, (std::vector<std::string>{"/etc/xinetd.conf", "/etc/xinetd.extra",
                                               "/etc/xinetd.d/B", "/etc/xinetd.d/a",
                                               "/etc/xinetd.d/b"}));
  EXPECT_EQ(c.blocks[2].position, (XinetdPosition{"/etc/xinetd.d/B", 1}));
  EXPECT_EQ(Messages(c), std::vector<std::string>{"/etc/xinetd.conf:5: warning: "
                                                  "/etc/xinetd.d/pipe is not a regular file: "
                                                  "skipped, as xinetd does"});
}

TEST(XinetdConf, IncludedirNamesRule) {
  EXPECT_TRUE(XinetdIncludedirReads("echo"));
  EXPECT_TRUE(XinetdIncludedirReads("echo-stream"));
  EXPECT_FALSE(XinetdIncludedirReads("echo.conf"));
  EXPECT_FALSE(XinetdIncludedirReads(".echo"));
  EXPECT_FALSE(XinetdIncludedirReads("echo~"));
  EXPECT_FALSE(XinetdIncludedirReads("echo.dpkg-dist"));
  EXPECT_FALSE(XinetdIncludedirReads(""));
}

TEST(XinetdConf, ADirectoryIsReadAsIncludedirReadsIt) {
  FakeFiles files;
  files.Dir("/etc/xinetd.d")
      .File("/etc/xinetd.d/two", "service two\n{\n}\n")
      .File("/etc/xinetd.d/one", "service one\n{\n}\n")
      .File("/etc/xinetd.d/one.rpmsave", "service saved\n{\n}\n");
  const XinetdConfig c = ReadXinetdConf("/etc/xinetd.d", files);
  EXPECT_TRUE(c.ok());
  ASSERT_EQ(c.blocks.size(), 2u);
  EXPECT_EQ(c.blocks[0].name, "one");
  EXPECT_EQ(c.blocks[1].name, "two");
}

TEST(XinetdConf, RelativeIncludesAreTakenFromTheIncludingFilesDirectory) {
  FakeFiles files;
  files.File("/srv/conf/xinetd.conf", "includedir xinetd.d\ninclude ../more\n")
      .Dir("/srv/conf/xinetd.d")
      .File("/srv/conf/xinetd.d/x", "service x\n{\n}\n")
      .File("/srv/more", "service more\n{\n}\n");
  const XinetdConfig c = ReadXinetdConf("/srv/conf/xinetd.conf", files);
  EXPECT_TRUE(c.ok()) << testing::PrintToString(Messages(c));
  ASSERT_EQ(c.blocks.size(), 2u);
  EXPECT_EQ(c.blocks[0].position.file, "/srv/conf/xinetd.d/x");
  EXPECT_EQ(c.blocks[1].position.file, "/srv/more");
}

TEST(XinetdConf, UnreadableIncludesAndLoopsAreErrorsAtTheIncludeLine) {
  FakeFiles files;
  files.File("/etc/xinetd.conf",
             "include /etc/missing\n"
             "includedir /etc/also-missing\n"
             "includedir /etc/xinetd.conf\n"
             "include /etc/xinetd.d\n"
             "include /etc/loop\n"
             "include\n")
      .File("/etc/loop", "include /etc/xinetd.conf\n")
      .Dir("/etc/xinetd.d");
  const XinetdConfig c = ReadXinetdConf("/etc/xinetd.conf", files);
  EXPECT_EQ(Messages(c),
            (std::vector<std::string>{
                "/etc/xinetd.conf:1: error: unable to read /etc/missing: No such file or directory",
                "/etc/xinetd.conf:2: error: unable to read /etc/also-missing: No such file or "
                "directory",
                "/etc/xinetd.conf:3: error: includedir: /etc/xinetd.conf is not a directory",
                "/etc/xinetd.conf:4: error: include: /etc/xinetd.d is a directory (includedir "
                "reads one)",
                "/etc/loop:1: error: include loop: /etc/xinetd.conf is already being read",
                "/etc/xinetd.conf:6: error: 'include' without a file",
            }));
}

TEST(XinetdConf, AMissingPathIsAnErrorWithoutALine) {
  FakeFiles files;
  const XinetdConfig c = ReadXinetdConf("/nowhere", files);
  EXPECT_EQ(Messages(c), std::vector<std::string>{
                             "/nowhere: error: unable to read /nowhere: No such file or directory"});
}

TEST(XinetdConf, LooksLikeXinetdRatherThanInetd) {
  EXPECT_TRUE(LooksLikeXinetdConf("service echo\n{\n}\n"));
  EXPECT_TRUE(LooksLikeXinetdConf("# c\ndefaults\n{\n}\n"));
  EXPECT_TRUE(LooksLikeXinetdConf("includedir /etc/xinetd.d\n"));
  EXPECT_TRUE(LooksLikeXinetdConf("  {\n"));
  EXPECT_FALSE(LooksLikeXinetdConf(""));
  EXPECT_FALSE(LooksLikeXinetdConf("# service echo\n"));
  EXPECT_FALSE(LooksLikeXinetdConf(
      "#:STANDARD:\nfinger  stream tcp nowait nobody  /usr/sbin/tcpd /usr/sbin/in.fingerd\n"
      "#<off># telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n"));
}

}  // namespace
}  // namespace superd
