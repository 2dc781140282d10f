#include "cli.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace superd {
namespace {

CliResult Parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv = {"superd"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(Cli, NothingGivenMeansTheDefaults) {
  const CliResult r = Parse({});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.options.config, "/etc/superd/superd.yaml");
  EXPECT_FALSE(r.options.check || r.options.daemon || r.options.syslog);
  EXPECT_EQ(r.options.pid_file, "");
  EXPECT_EQ(r.options.log_level, LogLevel::kInfo);
}

TEST(Cli, ShortAndLongFormsSetTheSameOptions) {
  for (const CliResult& r :
       {Parse({"-c", "t.yaml", "-t", "-d", "-p", "/run/s.pid", "-l", "debug"}),
        Parse({"--config", "t.yaml", "--check", "--daemon", "--pid-file=/run/s.pid",
               "--log-level=debug"})}) {
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.options.config, "t.yaml");
    EXPECT_TRUE(r.options.check);
    EXPECT_TRUE(r.options.daemon);
    EXPECT_EQ(r.options.pid_file, "/run/s.pid");
    EXPECT_EQ(r.options.log_level, LogLevel::kDebug);
  }
}

TEST(Cli, AnUnambiguousPrefixOfALongOptionIsEnough) {
  const CliResult r = Parse({"--conf", "t.yaml", "--sys"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.options.config, "t.yaml");
  EXPECT_TRUE(r.options.syslog);
}

TEST(Cli, UsageErrorsSayWhat) {
  EXPECT_NE(Parse({"--colour"}).error.find("colour"), std::string::npos);
  EXPECT_NE(Parse({"-c"}).error, "");                          // missing argument
  EXPECT_NE(Parse({"-c", "a.yaml", "-c", "b.yaml"}).error, "");  // given twice
  EXPECT_NE(Parse({"table.yaml"}).error, "");                  // an operand
  EXPECT_EQ(Parse({"-l", "loud"}).error,
            "invalid log level 'loud' (expected error, warning, info or debug)");
}

TEST(Cli, HelpListsEveryOption) {
  const CliResult r = Parse({"--help"});
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.options.help);
  for (const char* option : {"--config", "--check", "--daemon", "--pid-file", "--syslog",
                             "--log-level", "--version", "--help"})
    EXPECT_NE(r.help.find(option), std::string::npos) << option;
}

}  // namespace
}  // namespace superd
