#include "table_writer.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "table_loader.hpp"

namespace superd::import {
namespace {

ImportedTable OneService(ImportedService s, size_t warnings = 0) {
  ImportedTable t;
  t.source = "/etc/xinetd.conf";
  t.format = "xinetd configuration";
  t.files = {"/etc/xinetd.conf", "/etc/xinetd.d/echo"};
  for (size_t i = 0; i < warnings; ++i) t.messages.push_back({"f", 1, "w", true});
  s.file = s.file.empty() ? "/etc/xinetd.d/echo" : s.file;
  s.line = s.line == 0 ? 3 : s.line;
  t.services.push_back(std::move(s));
  return t;
}

// Every key the writer knows, with values that need care.
ImportedService Everything() {
  ImportedService s;
  s.name = "echo";
  s.listen = {"127.0.0.1:7", "[::1]:7"};
  s.protocol = "udp";
  s.wait = true;
  s.program = "/bin/sh";
  s.args = {"-c", "echo \"$1\" # not a comment", "yes", "", "012", "~", "null", "a: b", "x\ny", "\xc3\xa9"};
  s.user = "root";
  s.group = "0";
  s.env = {{"LANG", "C.UTF-8"}, {"EMPTY", ""}, {"ON", "on"}};
  s.umask = "027";
  s.nice = 5;
  s.max_instances = 10;
  s.rate_limit = "25/1s";
  s.rate_limit_pause = "30s";
  s.allow = {"10.0.0.0/8", "::1"};
  s.deny = {"10.9.0.0/16"};
  s.rlimits = {{"as", "512M"}, {"cpu", "30s"}, {"nofile", "1024"}};
  s.keepalive = true;
  s.disabled = true;
  return s;
}

TEST(TableWriter, TheHeaderSaysWhatWasImportedWhenAndWhetherWarningsWerePrinted) {
  ImportedService s;
  s.name = "echo";
  s.listen = {"*:7"};
  s.program = "/usr/libexec/superd/echo";
  EXPECT_EQ(WriteTable(OneService(s), "2026-11-24 10:00:00 UTC"),
            "# superd service table, imported by superd-import from /etc/xinetd.conf\n"
            "# (xinetd configuration, 2 files read) on 2026-11-24 10:00:00 UTC.\n"
            "# superd-import printed no warnings: every attribute was carried over.\n"
            "# Check it with superd --check -c FILE; see superd-import(8) and superd.yaml(5).\n"
            "services:\n"
            "  # from /etc/xinetd.d/echo:3\n"
            "  echo:\n"
            "    listen: \"*:7\"\n"
            "    program: /usr/libexec/superd/echo\n");
  const std::string warned = WriteTable(OneService(s, 3), "now");
  EXPECT_NE(warned.find("# superd-import printed 3 warnings on standard error, for what it could\n"
                        "# not carry over exactly: review them before serving this table.\n"),
            std::string::npos)
      << warned;
}

TEST(TableWriter, AnEmptyTableIsStillATable) {
  ImportedTable t;
  t.source = "x";
  t.format = "xinetd configuration";
  const std::string yaml = WriteTable(t, "now");
  EXPECT_TRUE(yaml.ends_with("services: {}\n")) << yaml;
  EXPECT_NE(yaml.find("0 files read"), std::string::npos);
}

TEST(TableWriter, KeysInTheOrderOfTheManualAndStringsQuotedAsYamlNeeds) {
  const std::string yaml = WriteTable(OneService(Everything()), "now");
  const std::string body = yaml.substr(yaml.find("  echo:\n"));
  EXPECT_EQ(body,
            "  echo:\n"
            "    listen: [\"127.0.0.1:7\", \"[::1]:7\"]\n"
            "    protocol: udp\n"
            "    wait: true\n"
            "    program: /bin/sh\n"
            "    args: [\"-c\", \"echo \\\"$1\\\" # not a comment\", \"yes\", \"\", \"012\", \"~\", "
            "\"null\", \"a: b\", \"x\\ny\", \xc3\xa9]\n"
            "    user: root\n"
            "    group: \"0\"\n"
            "    env:\n"
            "      LANG: C.UTF-8\n"
            "      EMPTY: \"\"\n"
            "      \"ON\": \"on\"\n"
            "    umask: \"027\"\n"
            "    nice: 5\n"
            "    max_instances: 10\n"
            "    rate_limit: \"25/1s\"\n"
            "    rate_limit_pause: \"30s\"\n"
            "    allow: [\"10.0.0.0/8\", \"::1\"]\n"
            "    deny: [\"10.9.0.0/16\"]\n"
            "    rlimits: {as: \"512M\", cpu: \"30s\", nofile: \"1024\"}\n"
            "    keepalive: true\n"
            "    disabled: true\n");
}

TEST(TableWriter, EveryStringReadsBackAsWritten) {
  const ImportedService s = Everything();
  const YAML::Node root = YAML::Load(WriteTable(OneService(s), "now"));
  const YAML::Node echo = root["services"]["echo"];
  ASSERT_TRUE(echo.IsMap());
  ASSERT_EQ(echo["args"].size(), s.args.size());
  for (size_t i = 0; i < s.args.size(); ++i) EXPECT_EQ(echo["args"][i].as<std::string>(), s.args[i]);
  EXPECT_EQ(echo["env"]["EMPTY"].as<std::string>(), "");
  EXPECT_EQ(echo["env"]["ON"].as<std::string>(), "on");
  EXPECT_EQ(echo["umask"].as<std::string>(), "027");
}

TEST(TableWriter, SuperdLoadsWhatItWrites) {
  // Every key, as superd's own loader reads it (argv0 aside: it comes
  // with its own branch).
  const std::string yaml = WriteTable(OneService(Everything()), "now");
  const LoadResult loaded = ParseTable(yaml, "/tmp/imported.yaml");
  EXPECT_TRUE(loaded.table) << loaded.diagnostics.FormatAll() << yaml;
  if (loaded.table) {
    const Service& s = loaded.table->services.at(0);
    EXPECT_EQ(s.args.at(1), "echo \"$1\" # not a comment");
    EXPECT_EQ(s.umask, 027u);
    EXPECT_TRUE(s.disabled);
  }
}

TEST(TableWriter, WhatNeedsQuotes) {
  for (const char* q : {"", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~",
                        "012", "1.5", "-l", "+1", ".inf", "::1"})
    EXPECT_TRUE(NeedsQuotes(q)) << q;
  for (const char* p : {"/usr/sbin/tcpd", "root", "C.UTF-8", "x=y", "echo"})
    EXPECT_FALSE(NeedsQuotes(p)) << p;
}

TEST(TableWriter, APathThatIsNotTextStaysInsideItsComment) {
  ImportedService s;
  s.name = "echo";
  s.listen = {"*:7"};
  s.program = "/bin/cat";
  s.file = "/etc/xinetd.d/odd\nname\xe9";
  ImportedTable t = OneService(s);
  t.source = t.services[0].file;
  const std::string yaml = WriteTable(t, "now");
  EXPECT_NE(yaml.find("from /etc/xinetd.d/odd?name?\n"), std::string::npos) << yaml;
  EXPECT_NO_THROW(YAML::Load(yaml));
}

}  // namespace
}  // namespace superd::import
