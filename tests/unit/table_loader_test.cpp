// ParseTable from strings: every key in scope lands in its field, defaults
// and `defaults` inheritance, file order, and every diagnostic of a run.
// Broken tables one problem at a time are fixtures in tests/tables/.
#include "table_loader.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace superd {
namespace {

using namespace std::chrono_literals;
using Env = std::vector<std::pair<std::string, std::string>>;

// The table `text` describes; fails the test if it has diagnostics.
ServiceTable Load(const std::string& text) {
  LoadResult result = ParseTable(text, "t.yaml");
  EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics.FormatAll();
  EXPECT_TRUE(result.table.has_value());
  return result.table.value_or(ServiceTable{});
}

// The one service of a table whose only service is `echo: {BODY}`.
Service LoadOne(const std::string& body) {
  ServiceTable table = Load("services:\n  echo:\n" + body);
  EXPECT_EQ(table.services.size(), 1u);
  return table.services.empty() ? Service{} : table.services.front();
}

// The listen entries of a service with `listen: LISTEN`.
std::vector<Endpoint> Listen(const std::string& listen,
                             const std::string& protocol = "tcp") {
  return LoadOne("    listen: " + listen + "\n    protocol: " + protocol +
                 "\n    program: /bin/cat\n")
      .listen;
}

TEST(ParseTable, EveryKeyLandsInItsField) {
  const ServiceTable table = Load(R"(max_children: 300
shutdown_grace: 1500ms
services:
  echo:
    listen: ["127.0.0.1:2007", "[::1]:2007"]
    protocol: tcp
    wait: true
    program: /bin/cat
    args: ["-u", "two words"]
    argv0: in.echo
    user: root
    group: root
    env:
      ZED: last
      ALPHA: first
      MIDDLE: "x=y"
    working_directory: /tmp
    umask: "027"
    nice: -3
    max_instances: 7
    stderr: socket
    backlog: 99
    sndbuf: 64k
    rcvbuf: 1M
    disabled: true
)");
  EXPECT_EQ(table.path, "t.yaml");
  EXPECT_EQ(table.max_children, 300);
  EXPECT_EQ(table.shutdown_grace, 1500ms);
  ASSERT_EQ(table.services.size(), 1u);
  const Service& s = table.services[0];
  EXPECT_EQ(s.name, "echo");
  ASSERT_EQ(s.listen.size(), 2u);
  EXPECT_EQ(s.listen[0].spec, "127.0.0.1:2007");
  EXPECT_EQ(s.listen[0].address.ToString(), "127.0.0.1:2007");
  EXPECT_FALSE(s.listen[0].dual_stack);
  EXPECT_EQ(s.listen[1].spec, "[::1]:2007");
  EXPECT_EQ(s.listen[1].address.ToString(), "[::1]:2007");
  EXPECT_EQ(s.protocol, Protocol::kTcp);
  EXPECT_TRUE(s.wait);
  EXPECT_EQ(s.program, "/bin/cat");
  EXPECT_EQ(s.args, (std::vector<std::string>{"-u", "two words"}));
  EXPECT_EQ(s.argv0, "in.echo");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, 0u);
  EXPECT_EQ(s.credentials->gid, 0u);
  EXPECT_EQ(s.credentials->user_name, "root");
  EXPECT_NE(std::find(s.credentials->groups.begin(),
                      s.credentials->groups.end(), 0u),
            s.credentials->groups.end());
  Env env = s.env;  // the order has its own test
  std::sort(env.begin(), env.end());
  EXPECT_EQ(env, (Env{{"ALPHA", "first"}, {"MIDDLE", "x=y"}, {"ZED", "last"}}));
  EXPECT_EQ(s.working_directory, "/tmp");
  EXPECT_EQ(s.umask, 027u);
  EXPECT_EQ(s.nice, -3);
  EXPECT_EQ(s.max_instances, 7);
  EXPECT_EQ(s.stderr_mode, StderrMode::kSocket);
  EXPECT_EQ(s.backlog, 99);
  EXPECT_EQ(s.sndbuf, 65536);
  EXPECT_EQ(s.rcvbuf, 1 << 20);
  EXPECT_TRUE(s.disabled);
}

TEST(ParseTable, DefaultsOfEveryKey) {
  const ServiceTable table =
      Load("services:\n  echo:\n    listen: \"127.0.0.1:7\"\n"
           "    program: /bin/cat\n");
  EXPECT_EQ(table.max_children, 1024);
  EXPECT_EQ(table.shutdown_grace, 5s);
  ASSERT_EQ(table.services.size(), 1u);
  const Service& s = table.services[0];
  EXPECT_EQ(s.protocol, Protocol::kTcp);
  EXPECT_FALSE(s.wait);
  EXPECT_TRUE(s.args.empty());
  EXPECT_EQ(s.argv0, "");
  EXPECT_FALSE(s.credentials.has_value());
  EXPECT_TRUE(s.env.empty());
  EXPECT_EQ(s.working_directory, "/");
  EXPECT_EQ(s.umask, 022u);
  EXPECT_EQ(s.nice, 0);
  EXPECT_EQ(s.max_instances, 64);
  EXPECT_EQ(s.stderr_mode, StderrMode::kInherit);
  EXPECT_EQ(s.backlog, 1024);
  EXPECT_EQ(s.sndbuf, 0);
  EXPECT_EQ(s.rcvbuf, 0);
  EXPECT_FALSE(s.disabled);
}

TEST(ParseTable, EmptyServicesIsAValidTableThatServesNothing) {
  EXPECT_TRUE(Load("services:\n").services.empty());
}

TEST(ParseTable, UdpIsAWaitServiceByDefault) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:69\"\n    protocol: udp\n"
      "    program: /bin/cat\n");
  EXPECT_EQ(s.protocol, Protocol::kUdp);
  EXPECT_TRUE(s.wait);
}

TEST(ParseTable, StderrModes) {
  auto mode = [](const std::string& value) {
    return LoadOne("    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n"
                   "    stderr: " + value + "\n")
        .stderr_mode;
  };
  EXPECT_EQ(mode("inherit"), StderrMode::kInherit);
  EXPECT_EQ(mode("socket"), StderrMode::kSocket);
  EXPECT_EQ(mode("\"null\""), StderrMode::kNull);
}

// `stderr: null` as the table documents it is a YAML null node, not the
// string "null"; it still means the null mode.
TEST(ParseTable, StderrPlainNullIsTheNullMode) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n    stderr: null\n");
  EXPECT_EQ(s.stderr_mode, StderrMode::kNull);
}

// The environment is given to the program in the order the table lists it.
TEST(ParseTable, EnvKeepsTheFileOrder) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n    env:\n"
      "      ZED: last\n      ALPHA: first\n      MIDDLE: \"x=y\"\n");
  EXPECT_EQ(s.env,
            (Env{{"ZED", "last"}, {"ALPHA", "first"}, {"MIDDLE", "x=y"}}));
}

TEST(ParseTable, WildcardListenIsOneDualStackEndpointOnAnyV6) {
  for (const char* form : {"\"*:7\"", "\"7\"", "7"}) {
    const std::vector<Endpoint> listen = Listen(form);
    ASSERT_EQ(listen.size(), 1u) << form;
    EXPECT_TRUE(listen[0].dual_stack) << form;
    EXPECT_EQ(listen[0].address.family(), AF_INET6) << form;
    EXPECT_EQ(listen[0].address.ToString(), "[::]:7") << form;
  }
  EXPECT_EQ(Listen("\"*:7\"")[0].spec, "*:7");
}

TEST(ParseTable, ListenIpv4Ipv6AndUnix) {
  std::vector<Endpoint> v4 = Listen("\"127.0.0.1:7\"");
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].address.family(), AF_INET);
  EXPECT_EQ(v4[0].address.Ip(), "127.0.0.1");
  EXPECT_EQ(v4[0].address.Port(), 7);
  EXPECT_FALSE(v4[0].dual_stack);

  std::vector<Endpoint> v6 = Listen("\"[::1]:7\"");
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].address.family(), AF_INET6);
  EXPECT_EQ(v6[0].address.Ip(), "::1");
  EXPECT_EQ(v6[0].address.Port(), 7);
  EXPECT_FALSE(v6[0].dual_stack);

  std::vector<Endpoint> un = Listen("\"unix:/run/x.sock\"");
  ASSERT_EQ(un.size(), 1u);
  EXPECT_EQ(un[0].address.family(), AF_UNIX);
  EXPECT_EQ(un[0].address.UnixPath(), "/run/x.sock");
  EXPECT_EQ(un[0].spec, "unix:/run/x.sock");
  EXPECT_FALSE(un[0].dual_stack);
}

TEST(ParseTable, ListenListKeepsItsOrder) {
  const std::vector<Endpoint> listen =
      Listen("[\"[::1]:9\", \"unix:/run/x.sock\", \"127.0.0.1:8\", \"*:10\"]");
  std::vector<std::string> specs, addresses;
  for (const Endpoint& e : listen) {
    specs.push_back(e.spec);
    addresses.push_back(e.address.ToString());
  }
  EXPECT_EQ(specs, (std::vector<std::string>{"[::1]:9", "unix:/run/x.sock",
                                             "127.0.0.1:8", "*:10"}));
  EXPECT_EQ(addresses,
            (std::vector<std::string>{"[::1]:9", "unix:/run/x.sock",
                                      "127.0.0.1:8", "[::]:10"}));
}

TEST(ParseTable, ListenPortNamesFollowTheProtocol) {
  const std::vector<Endpoint> tcp = Listen("\"127.0.0.1:daytime\"");
  ASSERT_EQ(tcp.size(), 1u);
  EXPECT_EQ(tcp[0].address.ToString(), "127.0.0.1:13");
  EXPECT_EQ(tcp[0].spec, "127.0.0.1:daytime");
  const std::vector<Endpoint> udp = Listen("\"*:daytime\"", "udp");
  ASSERT_EQ(udp.size(), 1u);
  EXPECT_EQ(udp[0].address.ToString(), "[::]:13");
}

TEST(ParseTable, ListenHostNameResolvesToEveryAddress) {
  const std::vector<Endpoint> listen = Listen("\"localhost:7\"");
  ASSERT_FALSE(listen.empty());
  for (const Endpoint& e : listen) {
    EXPECT_EQ(e.spec, "localhost:7");
    EXPECT_EQ(e.address.Port(), 7);
    EXPECT_TRUE(e.address.Ip() == "127.0.0.1" || e.address.Ip() == "::1")
        << e.address.ToString();
  }
}

TEST(ParseTable, NumericUserAndGroup) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n"
      "    user: \"0\"\n    group: \"0\"\n");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, 0u);
  EXPECT_EQ(s.credentials->gid, 0u);
  EXPECT_EQ(s.credentials->user_name, "root");
}

TEST(ParseTable, UserAloneTakesItsPrimaryGroup) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n    user: root\n");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, 0u);
  EXPECT_EQ(s.credentials->gid, 0u);
  EXPECT_EQ(s.credentials->user_name, "root");
  EXPECT_FALSE(s.credentials->groups.empty());
}

TEST(ParseTable, GroupAloneKeepsSuperdsOwnUser) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n    group: root\n");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, geteuid());
  EXPECT_EQ(s.credentials->gid, 0u);
  EXPECT_EQ(s.credentials->groups, std::vector<gid_t>{0});
}

TEST(ParseTable, NumericUserWithoutPasswdEntryNeedsAGroup) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n"
      "    user: 54321\n    group: 54322\n");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, 54321u);
  EXPECT_EQ(s.credentials->gid, 54322u);
  EXPECT_EQ(s.credentials->user_name, "");
  EXPECT_EQ(s.credentials->groups, std::vector<gid_t>{54322});
}

TEST(ParseTable, DisabledServiceMayNameAMissingProgram) {
  const Service s = LoadOne(
      "    listen: \"127.0.0.1:7\"\n    program: /no/such/program\n"
      "    disabled: yes\n");
  EXPECT_TRUE(s.disabled);
  EXPECT_EQ(s.program, "/no/such/program");
}

constexpr const char* kInheritance = R"(defaults:
  program: /bin/true
  nice: 5
  max_instances: 3
  stderr: "null"
  env: {FROM: defaults}
services:
  plain:
    listen: "127.0.0.1:2001"
  overrides:
    listen: "127.0.0.1:2002"
    program: /bin/cat
    nice: -1
    env: {OWN: "1"}
  partly:
    listen: "127.0.0.1:2003"
    max_instances: 9
)";

TEST(ParseTable, DefaultsApplyToEveryService) {
  const ServiceTable table = Load(kInheritance);
  ASSERT_EQ(table.services.size(), 3u);
  for (const Service& s : table.services)
    EXPECT_EQ(s.stderr_mode, StderrMode::kNull) << s.name;
  const Service& plain = table.services[0];
  EXPECT_EQ(plain.program, "/bin/true");
  EXPECT_EQ(plain.nice, 5);
  EXPECT_EQ(plain.max_instances, 3);
  EXPECT_EQ(plain.env, (Env{{"FROM", "defaults"}}));
}

TEST(ParseTable, ServiceKeysOverrideDefaults) {
  const ServiceTable table = Load(kInheritance);
  ASSERT_EQ(table.services.size(), 3u);
  const Service& overrides = table.services[1];
  EXPECT_EQ(overrides.program, "/bin/cat");
  EXPECT_EQ(overrides.nice, -1);
  EXPECT_EQ(overrides.max_instances, 3);  // not overridden: inherited
  // A key is inherited whole: the service's env replaces that of defaults.
  EXPECT_EQ(overrides.env, (Env{{"OWN", "1"}}));
  const Service& partly = table.services[2];
  EXPECT_EQ(partly.max_instances, 9);
  EXPECT_EQ(partly.nice, 5);
  EXPECT_EQ(partly.program, "/bin/true");
}

TEST(ParseTable, DefaultsDoNotChangeTopLevelSettings) {
  const ServiceTable table = Load(kInheritance);
  EXPECT_EQ(table.max_children, 1024);
  EXPECT_EQ(table.shutdown_grace, 5s);
}

TEST(ParseTable, ServicesKeepTheFileOrder) {
  const ServiceTable table = Load(R"(services:
  zulu: {listen: "127.0.0.1:2001", program: /bin/true}
  alpha: {listen: "127.0.0.1:2002", program: /bin/true}
  mike: {listen: "127.0.0.1:2003", program: /bin/true}
  bravo: {listen: "127.0.0.1:2004", program: /bin/true}
)");
  std::vector<std::string> names;
  for (const Service& s : table.services) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"zulu", "alpha", "mike", "bravo"}));
}

TEST(ParseTable, EveryErrorOfARunIsReported) {
  const LoadResult result = ParseTable(R"(max_children: 0
services:
  a:
    listen: "127.0.0.1:0"
    program: relative
    nice: 100
  b:
    listen: "127.0.0.1:7"
    program: /bin/cat
    rate_limit: "1/s"
    wait: perhaps
  c:
    program: /bin/cat
)", "t.yaml");
  EXPECT_FALSE(result.table.has_value());
  EXPECT_EQ(result.diagnostics.FormatAll(),
            "t.yaml:1:15: error: max_children: value 0 is out of range "
            "(1..1048576)\n"
            "t.yaml:4:13: error: listen: port 0 is out of range (1-65535)\n"
            "t.yaml:5:14: error: program: must be an absolute path, not "
            "'relative'\n"
            "t.yaml:6:11: error: nice: value 100 is out of range (-20..19)\n"
            "t.yaml:10:17: error: rate_limit: rate '1/s': invalid duration 's' "
            "(expected e.g. 250ms, 10s, 5m, 1h)\n"
            "t.yaml:11:11: error: wait: expected true or false, not "
            "'perhaps'\n"
            "t.yaml:12:3: error: service 'c': missing required key "
            "'listen'\n");
}

// Issue 10, fault 12: tables too big for their own good. A 100 MB table of
// 1 kB arguments passed --check, and every exec then failed with E2BIG.
TEST(ParseTable, ATableLargerThan16MiBIsRefusedBeforeParsing) {
  const std::string huge = "services: {}\n#" + std::string(16 << 20, 'x') + "\n";
  const LoadResult r = ParseTable(huge, "t.yaml");
  EXPECT_FALSE(r.table);
  EXPECT_EQ(r.diagnostics.FormatAll(), "t.yaml:1:1: error: the table is " +
                                           std::to_string(huge.size()) +
                                           " bytes, more than 16 MiB\n");
}

TEST(ParseTable, ArgumentsExecWouldRefuseAreALoadError) {
  const std::string long_arg(200 * 1024, 'a');
  LoadResult r = ParseTable("services:\n  s:\n    listen: \"127.0.0.1:7\"\n"
                            "    program: /bin/cat\n    args: [\"" + long_arg + "\"]\n",
                            "t.yaml");
  EXPECT_EQ(r.diagnostics.FormatAll(),
            "t.yaml:5:11: error: args: argument 1 is 204800 bytes, more than the kernel takes "
            "for one (131071, MAX_ARG_STRLEN)\n");
  std::string many = "services:\n  s:\n    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n"
                     "    args:\n";
  for (int i = 0; i < 3000; ++i) many += "      - \"" + std::string(1000, 'b') + "\"\n";
  r = ParseTable(many, "t.yaml");
  EXPECT_NE(r.diagnostics.FormatAll().find(
                "t.yaml:6:7: error: args: the program's arguments and environment take "),
            std::string::npos)
      << r.diagnostics.FormatAll();
  EXPECT_NE(r.diagnostics.FormatAll().find("(ARG_MAX)"), std::string::npos);
  r = ParseTable("services:\n  s:\n    listen: \"127.0.0.1:7\"\n    program: /bin/cat\n"
                 "    env: {BIG: \"" + long_arg + "\"}\n",
                 "t.yaml");
  EXPECT_EQ(r.diagnostics.FormatAll(),
            "t.yaml:5:10: error: env: variable BIG is 204804 bytes, more than the kernel takes "
            "for one (131071, MAX_ARG_STRLEN)\n");
}

TEST(ParseTable, AnArgv0ExecWouldRefuseIsALoadErrorAtArgv0) {
  const std::string long_arg(200 * 1024, 'a');
  const LoadResult r = ParseTable("services:\n  s:\n    listen: \"127.0.0.1:7\"\n"
                                  "    program: /bin/cat\n    argv0: " + long_arg + "\n",
                                  "t.yaml");
  EXPECT_EQ(r.diagnostics.FormatAll(),
            "t.yaml:5:12: error: argv0: argv0 is 204800 bytes, more than the kernel takes "
            "for one (131071, MAX_ARG_STRLEN)\n");
}

TEST(ParseTable, MoreThan100000ServicesAreALoadError) {
  std::string text = "services: {";
  for (int i = 0; i <= 100'000; ++i) text += "s" + std::to_string(i) + ": {}, ";
  text += "}\n";
  const LoadResult r = ParseTable(text, "t.yaml");
  EXPECT_EQ(r.diagnostics.FormatAll(),
            "t.yaml:1:11: error: services: 100001 services in the table, more than 100000\n");
}

// A FIFO put where the table was would hold a load (and, before reloads
// left the loop, superd) forever: only a regular file is read.
TEST(LoadTable, OnlyARegularFileIsRead) {
  char dir[] = "/tmp/superd-unit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/table.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const LoadResult r = LoadTable(fifo);
  EXPECT_EQ(r.diagnostics.FormatAll(),
            fifo + ": error: unable to read the table: not a regular file\n");
  unlink(fifo.c_str());
  rmdir(dir);
}

TEST(ParseTable, ATableIsReturnedOnlyWithoutDiagnostics) {
  const LoadResult bad = ParseTable("services: [x]\n", "t.yaml");
  EXPECT_FALSE(bad.table.has_value());
  EXPECT_FALSE(bad.diagnostics.empty());
  const LoadResult good = ParseTable("services: {}\n", "t.yaml");
  EXPECT_TRUE(good.table.has_value());
  EXPECT_TRUE(good.diagnostics.empty());
  EXPECT_EQ(good.diagnostics.file(), "t.yaml");
}

}  // namespace
}  // namespace superd
