// The mapping of every xinetd attribute, with the exact YAML it gives and
// the exact warning where it cannot be carried over (superd-import(8)).
#include "xinetd_import.hpp"

#include <gtest/gtest.h>

#include "table_writer.hpp"
#include "xinetd_fakes.hpp"

namespace superd::import {
namespace {

using testing_fakes::FakeFiles;
using testing_fakes::FakeSystem;
using Lines = std::vector<std::string>;

struct Imported {
  ImportedTable table;
  std::string yaml;  // from "services:" on, without the "# from" comments
  Lines warnings, errors;
};

// `text` as the xinetd.d file "svc".
Imported Import(const std::string& text, const FakeSystem& system = FakeSystem()) {
  FakeFiles files;
  files.File("svc", text);
  Imported r;
  r.table = ImportXinetd("svc", ReadXinetdConf("svc", files), system, {"/usr/libexec/superd"});
  for (const ImportMessage& m : r.table.messages)
    (m.warning ? r.warnings : r.errors).push_back(m.Format());
  if (!r.table.ok()) return r;
  const std::string all = WriteTable(r.table, "now");
  size_t pos = all.find("services:");
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    const std::string line = all.substr(pos, end - pos + 1);
    if (line.find("  # from ") != 0) r.yaml += line;
    pos = end + 1;
  }
  return r;
}

// A `service NAME` block around `attributes`; they start at line 3.
std::string Service(const std::string& name, const std::string& attributes) {
  return "service " + name + "\n{\n" + attributes + "}\n";
}

// The attributes every tcp service needs, then `more` (from line 7).
std::string Ftp(const std::string& more = "") {
  return Service("ftp",
                 " socket_type = stream\n wait = no\n user = root\n server = /usr/sbin/in.ftpd\n" +
                     more);
}

constexpr const char* kFtpYaml =
    "services:\n"
    "  ftp:\n"
    "    listen: \"*:21\"\n"
    "    program: /usr/sbin/in.ftpd\n"
    "    user: root\n";

TEST(XinetdImport, TheRequiredAttributesMakeAService) {
  const Imported r = Import(Ftp());
  EXPECT_TRUE(r.warnings.empty()) << testing::PrintToString(r.warnings);
  EXPECT_EQ(r.yaml, kFtpYaml);
}

TEST(XinetdImport, ServerArgsAreArgs) {
  const Imported r = Import(Ftp(" server_args = -l -a \"quoted\" #3 yes\n"));
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.yaml, std::string(kFtpYaml).insert(std::string(kFtpYaml).find("    user"),
                                                 "    args: [\"-l\", \"-a\", \"\\\"quoted\\\"\", "
                                                 "\"#3\", \"yes\"]\n"));
}

TEST(XinetdImport, NameinargsGivesArgv0WhenItIsNotTheProgram) {
  const Imported tcpd = Import(Service(
      "ftp", " socket_type = stream\n wait = no\n user = root\n flags = NAMEINARGS\n"
             " server = /usr/sbin/tcpd\n server_args = /usr/sbin/in.ftpd -l\n"));
  EXPECT_TRUE(tcpd.warnings.empty());
  EXPECT_EQ(tcpd.yaml,
            "services:\n  ftp:\n    listen: \"*:21\"\n    program: /usr/sbin/tcpd\n"
            "    argv0: /usr/sbin/in.ftpd\n    args: [\"-l\"]\n    user: root\n");
  const Imported same = Import(Service(
      "ftp", " socket_type = stream\n wait = no\n user = root\n flags = NAMEINARGS\n"
             " server = /usr/sbin/in.ftpd\n server_args = /usr/sbin/in.ftpd\n"));
  EXPECT_EQ(same.yaml, kFtpYaml);
  const Imported none = Import(Service(
      "ftp", " socket_type = stream\n wait = no\n user = root\n flags = NAMEINARGS\n"
             " server = /usr/sbin/tcpd\n"));
  EXPECT_EQ(none.warnings, Lines{"svc:6: warning: flags NAMEINARGS without server_args, so xinetd "
                                 "does not serve the service either; service 'ftp' left out"});
  EXPECT_EQ(none.yaml, "services: {}\n");
}

TEST(XinetdImport, PortAndTypeUnlisted) {
  // tang-xinetd's tangdx.
  const Imported r = Import(Service(
      "tangd", " port = 8888\n server_args = /var/db/tang\n server = /usr/libexec/tangdx\n"
               " socket_type = stream\n user = root\n wait = no\n log_on_success += USERID\n"
               " disable = no\n type = UNLISTED\n"));
  EXPECT_EQ(r.warnings, Lines{"svc:9: warning: log_on_success USERID: superd logs every connection "
                              "and exit at info (superd(8)); not carried over"});
  EXPECT_EQ(r.yaml,
            "services:\n  tangd:\n    listen: \"*:8888\"\n    program: /usr/libexec/tangdx\n"
            "    args: [/var/db/tang]\n    user: root\n");
}

TEST(XinetdImport, PortsThatXinetdWouldRefuse) {
  EXPECT_EQ(Import(Ftp(" port = 2121\n")).warnings,
            Lines{"svc:7: warning: port 2121 is not ftp's port in /etc/services (21), which xinetd "
                  "allows only with type = UNLISTED; imported with port 2121"});
  EXPECT_EQ(Import(Service("mine", " socket_type = stream\n wait = no\n user = root\n"
                                   " server = /usr/sbin/in.ftpd\n port = 999\n"))
                .warnings,
            Lines{"svc:7: warning: 'mine' is not in /etc/services for tcp, which xinetd allows "
                  "only with type = UNLISTED; imported with port 999"});
  EXPECT_EQ(Import(Service("mine", " socket_type = stream\n wait = no\n user = root\n"
                                   " server = /usr/sbin/in.ftpd\n"))
                .warnings,
            Lines{"svc:1: warning: 'mine' is not in /etc/services for tcp and has no port, so "
                  "xinetd does not serve the service either; service 'mine' left out"});
  EXPECT_EQ(Import(Ftp(" type = UNLISTED\n")).warnings,
            Lines{"svc:7: warning: type UNLISTED without a port (xinetd needs one); service 'ftp' "
                  "left out"});
  EXPECT_EQ(Import(Ftp(" port = 0\n")).warnings,
            Lines{"svc:7: warning: port 0: superd listens on ports 1 to 65535; service 'ftp' left "
                  "out"});
  EXPECT_EQ(Import(Ftp(" port = 70000\n")).errors,
            Lines{"svc:7: error: port must be a number from 0 to 65535, not '70000'"});
}

TEST(XinetdImport, SocketTypeAndProtocol) {
  const std::string tftp = " wait = yes\n user = nobody\n server = /usr/sbin/in.tftpd\n";
  const char* yaml =
      "services:\n  tftp:\n    listen: \"*:69\"\n    protocol: udp\n"
      "    program: /usr/sbin/in.tftpd\n    user: nobody\n";
  EXPECT_EQ(Import(Service("tftp", " socket_type = dgram\n" + tftp)).yaml, yaml);
  EXPECT_EQ(Import(Service("tftp", " protocol = udp\n" + tftp)).yaml, yaml);
  EXPECT_EQ(Import(Service("tftp", " socket_type = dgram\n protocol = udp\n" + tftp)).yaml, yaml);
  EXPECT_EQ(Import(Service("tftp", " socket_type = raw\n" + tftp)).warnings,
            Lines{"svc:3: warning: socket_type raw: superd serves stream and dgram sockets only; "
                  "service 'tftp' left out"});
  EXPECT_EQ(Import(Service("tftp", " socket_type = stream\n protocol = udp\n" + tftp)).warnings,
            Lines{"svc:4: warning: socket_type stream over protocol udp: superd serves stream over "
                  "tcp and dgram over udp; service 'tftp' left out"});
  EXPECT_EQ(Import(Service("tftp", " protocol = sctp\n" + tftp)).warnings,
            Lines{"svc:3: warning: protocol sctp: superd serves tcp and udp only; service 'tftp' "
                  "left out"});
  EXPECT_EQ(Import(Service("tftp", tftp)).warnings,
            Lines{"svc:1: warning: neither socket_type nor protocol is set (xinetd needs one); "
                  "service 'tftp' left out"});
  EXPECT_EQ(Import(Service("tftp", " socket_type = pipe\n" + tftp)).errors,
            Lines{"svc:3: error: socket_type must be stream, dgram, raw or seqpacket, not 'pipe'"});
}

TEST(XinetdImport, Wait) {
  const Imported tcp = Import(Service(
      "ftp", " socket_type = stream\n wait = yes\n user = root\n server = /usr/sbin/in.ftpd\n"));
  EXPECT_EQ(tcp.yaml, "services:\n  ftp:\n    listen: \"*:21\"\n    wait: true\n"
                      "    program: /usr/sbin/in.ftpd\n    user: root\n");
  const Imported udp = Import(Service(
      "tftp", " socket_type = dgram\n wait = no\n user = root\n server = /usr/sbin/in.tftpd\n"));
  EXPECT_EQ(udp.warnings, Lines{"svc:4: warning: wait = no: superd serves udp as a wait service "
                                "only, the program getting the socket; imported as one"});
  EXPECT_EQ(udp.yaml, "services:\n  tftp:\n    listen: \"*:69\"\n    protocol: udp\n"
                      "    program: /usr/sbin/in.tftpd\n    user: root\n");
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n user = root\n server = /usr/sbin/in.ftpd\n"))
                .warnings,
            Lines{"svc:1: warning: wait is not set (xinetd needs it); service 'ftp' left out"});
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = maybe\n user = root\n"
                                  " server = /usr/sbin/in.ftpd\n"))
                .errors,
            Lines{"svc:4: error: wait must be yes or no, not 'maybe'"});
}

TEST(XinetdImport, BindInterfaceAndTheIpFlags) {
  auto listen = [](const std::string& more) {
    const Imported r = Import(Ftp(more));
    const size_t at = r.yaml.find("listen: ");
    return at == std::string::npos ? "(none) " + testing::PrintToString(r.warnings)
                                   : r.yaml.substr(at + 8, r.yaml.find('\n', at) - at - 8);
  };
  EXPECT_EQ(listen(""), "\"*:21\"");
  EXPECT_EQ(listen(" flags = IPv4\n"), "\"0.0.0.0:21\"");
  EXPECT_EQ(listen(" flags = IPv6\n"), "\"*:21\"");
  EXPECT_EQ(listen(" flags = IPv6 IPv4\n"), "\"*:21\"");  // IPv6, falling back to IPv4
  EXPECT_EQ(listen(" v6only = yes\n"), "\"[::]:21\"");
  EXPECT_EQ(listen(" bind = 127.0.0.1\n"), "\"127.0.0.1:21\"");
  EXPECT_EQ(listen(" interface = 192.0.2.1\n"), "\"192.0.2.1:21\"");
  EXPECT_EQ(listen(" bind = 2001:DB8::1\n"), "\"[2001:db8::1]:21\"");
  EXPECT_EQ(listen(" bind = ::\n"), "\"*:21\"");
  EXPECT_EQ(listen(" bind = ::\n v6only = yes\n"), "\"[::]:21\"");
  EXPECT_EQ(listen(" bind = 0.0.0.0\n"), "\"0.0.0.0:21\"");
  EXPECT_EQ(listen(" bind = localhost\n"), "localhost:21");
  EXPECT_EQ(Import(Ftp(" bind = localhost\n")).warnings,
            Lines{"svc:7: warning: bind localhost: superd binds every address localhost resolves to "
                  "when it loads the table, xinetd one of them"});
  EXPECT_EQ(Import(Ftp(" interface = nowhere.invalid\n")).warnings,
            Lines{"svc:7: warning: interface nowhere.invalid: no such host, so xinetd does not "
                  "serve the service either; service 'ftp' left out"});
}

TEST(XinetdImport, ServerThatIsNotHereIsImportedDisabled) {
  const Imported r = Import(Service(
      "ftp", " socket_type = stream\n wait = no\n user = root\n server = /usr/sbin/nothere\n"));
  EXPECT_EQ(r.warnings, Lines{"svc:6: warning: server /usr/sbin/nothere is not an executable file "
                              "here, so xinetd does not serve the service either: imported as "
                              "disabled"});
  EXPECT_EQ(r.yaml, "services:\n  ftp:\n    listen: \"*:21\"\n    program: /usr/sbin/nothere\n"
                    "    user: root\n    disabled: true\n");
  // Disabled already: nothing to say.
  EXPECT_TRUE(Import(Service("ftp", " socket_type = stream\n wait = no\n user = root\n"
                                    " server = /usr/sbin/nothere\n disable = yes\n"))
                  .warnings.empty());
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = no\n user = root\n"
                                  " server = in.ftpd\n"))
                .warnings,
            Lines{"svc:6: warning: server in.ftpd is not an absolute path, as superd needs; "
                  "service 'ftp' left out"});
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = no\n user = root\n")).warnings,
            Lines{"svc:1: warning: no server, so xinetd does not serve the service either; "
                  "service 'ftp' left out"});
}

TEST(XinetdImport, UserGroupAndGroups) {
  EXPECT_EQ(Import(Ftp(" group = adm\n")).yaml, std::string(kFtpYaml) + "    group: adm\n");
  // xinetd runs a numeric user with the gid of the same number.
  const Imported numeric = Import(Service(
      "ftp", " socket_type = stream\n wait = no\n user = 1234\n server = /usr/sbin/in.ftpd\n"));
  EXPECT_EQ(numeric.yaml, "services:\n  ftp:\n    listen: \"*:21\"\n    program: /usr/sbin/in.ftpd\n"
                          "    user: \"1234\"\n    group: \"1234\"\n");
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = no\n user = ghost\n"
                                  " server = /usr/sbin/in.ftpd\n"))
                .warnings,
            Lines{"svc:5: warning: user 'ghost' does not exist here, so xinetd does not serve the "
                  "service either; service 'ftp' left out"});
  EXPECT_EQ(Import(Ftp(" group = ghosts\n")).warnings,
            Lines{"svc:7: warning: group 'ghosts' does not exist here, so xinetd does not serve the "
                  "service either; service 'ftp' left out"});
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = no\n server = /usr/sbin/in.ftpd\n"))
                .warnings,
            Lines{"svc:1: warning: no user, so xinetd does not serve the service either; service "
                  "'ftp' left out"});
  // A user in other groups: xinetd drops them unless groups = yes.
  const std::string staff = " socket_type = stream\n wait = no\n user = staff\n server = /usr/sbin/in.ftpd\n";
  EXPECT_EQ(Import(Service("ftp", staff)).warnings,
            Lines{"svc:5: warning: xinetd gives the program no supplementary groups (groups = no, "
                  "its default), superd gives those of user 'staff': adm, users"});
  EXPECT_EQ(Import(Service("ftp", staff + " groups = no\n")).warnings.at(0).substr(0, 10), "svc:7: war");
  EXPECT_TRUE(Import(Service("ftp", staff + " groups = yes\n")).warnings.empty());
  EXPECT_TRUE(Import(Service("ftp", staff + " group = adm\n groups = no\n")).warnings.size() == 1);
  EXPECT_EQ(Import(Ftp(" groups = sometimes\n")).errors,
            Lines{"svc:7: error: groups must be yes or no, not 'sometimes'"});
}

TEST(XinetdImport, EnvAndPassenv) {
  const Imported r = Import(Ftp(" env = LANG=C.UTF-8 EMPTY= EQ=a=b 1BAD=x\n env += LANG=C\n"
                                " passenv = PATH TZ\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:7: warning: env 1BAD: superd takes names of letters, digits and '_' that "
                   "do not start with a digit; not carried over",
                   "svc:9: warning: passenv PATH TZ: superd starts programs with a clean "
                   "environment; give them what they need with env; not carried over"}));
  EXPECT_EQ(r.yaml, std::string(kFtpYaml) +
                        "    env:\n      LANG: C\n      EMPTY: \"\"\n      EQ: a=b\n");
  EXPECT_EQ(Import(Ftp(" env = NOEQUALS\n")).errors,
            Lines{"svc:7: error: env: 'NOEQUALS' is not NAME=VALUE"});
  EXPECT_TRUE(Import(Ftp(" passenv =\n")).warnings.empty());  // nothing passed: clean, as superd
}

TEST(XinetdImport, InstancesAndPerSource) {
  EXPECT_EQ(Import(Ftp(" instances = 10\n per_source = 3\n")).yaml,
            std::string(kFtpYaml) +
                "    max_instances: 10\n    max_per_source: 3\n    source_prefix: {ipv6: 128}\n");
  const Imported unlimited = Import(Ftp(" instances = UNLIMITED\n per_source = UNLIMITED\n"));
  EXPECT_EQ(unlimited.yaml, kFtpYaml);
  EXPECT_EQ(unlimited.warnings,
            Lines{"svc:7: warning: instances = UNLIMITED: superd's max_instances has no unlimited "
                  "value; left to its default, 64"});
  EXPECT_EQ(Import(Ftp(" instances = 0\n")).warnings,
            Lines{"svc:7: warning: instances = 0 starts nothing: imported as disabled"});
  EXPECT_EQ(Import(Ftp(" per_source = 0\n")).warnings,
            Lines{"svc:7: warning: per_source = 0 lets no client in: imported as disabled"});
  EXPECT_EQ(Import(Ftp(" instances = 5000000\n")).warnings,
            Lines{"svc:7: warning: instances 5000000: superd counts to 1048576; imported as that"});
  EXPECT_EQ(Import(Ftp(" instances = many\n")).errors,
            Lines{"svc:7: error: instances must be a number or UNLIMITED, not 'many'"});
  const Imported wait = Import(Service(
      "tftp", " socket_type = dgram\n wait = yes\n user = root\n server = /usr/sbin/in.tftpd\n"
              " per_source = 4\n"));
  EXPECT_EQ(wait.warnings, Lines{"svc:7: warning: per_source: superd cannot count the clients of a "
                                 "wait service, whose program reads them itself; not carried over"});
  EXPECT_EQ(wait.yaml.find("max_per_source"), std::string::npos);
}

TEST(XinetdImport, CpsIsARateLimitWithAPause) {
  const Imported r = Import(Ftp(" cps = 25 30\n"));
  EXPECT_EQ(r.yaml, std::string(kFtpYaml) + "    rate_limit: \"25/1s\"\n    rate_limit_pause: \"30s\"\n");
  EXPECT_EQ(r.warnings,
            Lines{"svc:7: warning: cps 25 30: imported as rate_limit \"25/1s\" with "
                  "rate_limit_pause 30s: superd lets bursts of 25 through and, once they are spent, "
                  "pauses at least 30 s with new clients waiting in the backlog; xinetd refuses "
                  "them and turns the service off for 30 s"});
  // cps 0: no limit; superd's wait services have one unless told.
  EXPECT_EQ(Import(Ftp(" cps = 0 10\n")).yaml, kFtpYaml);
  EXPECT_NE(Import(Service("tftp", " socket_type = dgram\n wait = yes\n user = root\n"
                                   " server = /usr/sbin/in.tftpd\n cps = 0 10\n"))
                .yaml.find("    rate_limit: \"off\"\n"),
            std::string::npos);
  EXPECT_EQ(Import(Ftp(" cps = 5 x\n")).errors,
            Lines{"svc:7: error: cps takes two numbers (connections per second, seconds to "
                  "pause), not '5 x'"});
}

TEST(XinetdImport, OnlyFromAndNoAccessAreAllowAndDeny) {
  const Imported r = Import(Ftp(" only_from = 192.0.2.0/24 2001:db8::/32 127.0.0.1\n"
                                " no_access = 192.0.2.128/25\n"));
  EXPECT_TRUE(r.warnings.empty()) << testing::PrintToString(r.warnings);
  EXPECT_EQ(r.yaml, std::string(kFtpYaml) +
                        "    allow: [\"192.0.2.0/24\", \"2001:db8::/32\", \"127.0.0.1\"]\n"
                        "    deny: [\"192.0.2.128/25\"]\n");
}

TEST(XinetdImport, AddressFormsSuperdDoesNotHave) {
  const Imported r = Import(Ftp(" only_from = 10.0.0.0 10.1.{1,2} host.example.com .example.org 10.0.0.0/40\n"
                                " no_access = bad.example.com\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:7: warning: only_from 10.0.0.0: xinetd reads the zero octets at its end "
                   "as wildcards; imported as 10.0.0.0/8",
                   "svc:7: warning: only_from 10.1.{1,2}: imported as 10.1.1.0/24, 10.1.2.0/24",
                   "svc:7: warning: only_from host.example.com: superd's allow matches client "
                   "addresses, not names; left out",
                   "svc:7: warning: only_from .example.org: superd's allow matches client "
                   "addresses, not domains; left out",
                   "svc:7: warning: only_from 10.0.0.0/40: xinetd cannot read it (an IPv4 prefix "
                   "is at most 32 bits) and skips it; not carried over",
                   "svc:8: warning: no_access bad.example.com: superd's deny matches client "
                   "addresses, not names; those clients are not denied"}));
  EXPECT_EQ(r.yaml, std::string(kFtpYaml) +
                        "    allow: [\"10.0.0.0/8\", \"10.1.1.0/24\", \"10.1.2.0/24\"]\n");
}

TEST(XinetdImport, AnOnlyFromThatLetsNobodyInIsADisabledService) {
  const Imported empty = Import(Ftp(" only_from =\n"));
  EXPECT_EQ(empty.warnings, Lines{"svc:7: warning: only_from is empty, which lets nobody in: "
                                  "imported as disabled"});
  EXPECT_EQ(empty.yaml, std::string(kFtpYaml) + "    disabled: true\n");
  const Imported names = Import(Ftp(" only_from = trusted.example.com\n"));
  EXPECT_EQ(names.warnings.back(), "svc:7: warning: only_from keeps no address superd can match, "
                                   "and an empty allow would let everyone in: imported as disabled");
  EXPECT_EQ(names.yaml, std::string(kFtpYaml) + "    disabled: true\n");
}

TEST(XinetdImport, AnAllowInsideADenyIsRefusedByBoth) {
  const Imported r = Import(Ftp(" only_from = 10.0.0.5\n no_access = 10.0.0.0/8\n"));
  EXPECT_EQ(r.warnings,
            Lines{"svc:7: warning: only_from 10.0.0.5 lies inside no_access 10.0.0.0/8: "
                  "xinetd.conf(5) says the more specific entry wins, but xinetd 2.3.15 refuses a "
                  "client both lists match, and so does superd"});
}

TEST(XinetdImport, AccessListsOfATcpWaitServiceAreNotCarried) {
  const Imported r = Import(Service(
      "ftp", " socket_type = stream\n wait = yes\n user = root\n server = /usr/sbin/in.ftpd\n"
             " only_from = 10.0.0.0/8\n"));
  EXPECT_EQ(r.warnings, Lines{"svc:7: warning: only_from: the program of a tcp wait service "
                              "accepts its connections itself, so xinetd checks none of them, and "
                              "superd refuses the key there; not carried over"});
  EXPECT_EQ(r.yaml.find("allow"), std::string::npos);
  // A udp wait service: superd checks the datagram that starts it.
  EXPECT_NE(Import(Service("tftp", " socket_type = dgram\n wait = yes\n user = root\n"
                                   " server = /usr/sbin/in.tftpd\n only_from = 10.0.0.0/8\n"))
                .yaml.find("    allow: [\"10.0.0.0/8\"]\n"),
            std::string::npos);
}

TEST(XinetdImport, NiceUmaskAndRlimits) {
  const Imported r = Import(Ftp(" nice = 5\n umask = 27\n rlimit_as = 512M\n rlimit_cpu = 30\n"
                                " rlimit_data = 1048576\n rlimit_files = 1k\n"));
  EXPECT_TRUE(r.warnings.empty()) << testing::PrintToString(r.warnings);
  EXPECT_EQ(r.yaml, std::string(kFtpYaml) +
                        "    umask: \"027\"\n    nice: 5\n"
                        "    rlimits: {as: \"512M\", cpu: \"30s\", data: \"1048576\", nofile: \"1024\"}\n");
  const Imported unlimited = Import(Ftp(" rlimit_as = UNLIMITED\n rlimit_cpu = UNLIMITED\n"
                                        " rlimit_data = 0\n rlimit_files = UNLIMITED\n"
                                        " rlimit_rss = 1M\n rlimit_stack = 8M\n nice = -40\n"));
  EXPECT_EQ(unlimited.warnings,
            (Lines{"svc:10: warning: rlimit_files UNLIMITED: superd's nofile is a number up to "
                   "1048576; not carried over",
                   "svc:11: warning: rlimit_rss: superd has no rss limit (Linux does not enforce "
                   "RLIMIT_RSS); not carried over",
                   "svc:12: warning: rlimit_stack: superd has no stack limit; not carried over",
                   "svc:13: warning: nice -40: superd takes -20 to 19; imported as -20"}));
  EXPECT_EQ(unlimited.yaml, std::string(kFtpYaml) +
                                "    nice: -20\n    rlimits: {as: unlimited, cpu: unlimited}\n");
  EXPECT_EQ(Import(Ftp(" umask = 0888\n")).errors,
            Lines{"svc:7: error: umask must be an octal number up to 777, not '0888'"});
  EXPECT_EQ(Import(Ftp(" rlimit_as = lots\n")).errors,
            Lines{"svc:7: error: rlimit_as must be a number (with K or M) or UNLIMITED, not 'lots'"});
  EXPECT_EQ(Import(Ftp(" nice = high\n")).errors,
            Lines{"svc:7: error: nice must be a number, not 'high'"});
}

TEST(XinetdImport, DisableAndTheListsOfDefaults) {
  EXPECT_EQ(Import(Ftp(" disable = yes\n")).yaml, std::string(kFtpYaml) + "    disabled: true\n");
  EXPECT_EQ(Import(Ftp(" disable = no\n")).yaml, kFtpYaml);
  EXPECT_EQ(Import("defaults\n{\n disabled = ftp\n}\n" + Ftp()).yaml,
            std::string(kFtpYaml) + "    disabled: true\n");
  EXPECT_EQ(Import("defaults\n{\n enabled = telnet\n}\n" + Ftp()).yaml,
            std::string(kFtpYaml) + "    disabled: true\n");
  EXPECT_EQ(Import(Ftp(" disable = perhaps\n")).errors,
            Lines{"svc:7: error: disable must be yes or no, not 'perhaps'"});
}

TEST(XinetdImport, IdNamesTheServiceAndNamesAreMadeValid) {
  const Imported r = Import(Service("echo", " id = echo-stream\n type = INTERNAL\n socket_type = stream\n"
                                            " wait = no\n") +
                            Service("daytime", " id = day+time\n type = INTERNAL\n"
                                               " socket_type = stream\n wait = no\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:4: warning: type INTERNAL: served by superd's sample program "
                   "/usr/libexec/superd/echo instead of xinetd's built-in echo",
                   "svc:10: warning: 'day+time' is not a superd service name (letters, digits, '-', "
                   "'_' and '.'): imported as 'day_time'",
                   "svc:11: warning: type INTERNAL: served by superd's sample program "
                   "/usr/libexec/superd/daytime instead of xinetd's built-in daytime"}));
  EXPECT_EQ(r.yaml, "services:\n"
                    "  echo-stream:\n    listen: \"*:7\"\n    program: /usr/libexec/superd/echo\n"
                    "  day_time:\n    listen: \"*:13\"\n    program: /usr/libexec/superd/daytime\n");
}

TEST(XinetdImport, InternalServicesWithoutASampleAndOtherTypes) {
  EXPECT_EQ(Import(Service("tcpmux", " type = INTERNAL\n socket_type = stream\n wait = no\n")).warnings,
            Lines{"svc:3: warning: type INTERNAL: superd has no counterpart to xinetd's built-in "
                  "'tcpmux'; service 'tcpmux' left out"});
  // The sample program is not installed.
  EXPECT_EQ(Import(Service("chargen", " type = INTERNAL\n socket_type = stream\n wait = no\n"))
                .warnings.back(),
            "svc:3: warning: the sample program /usr/libexec/superd/chargen is not installed: "
            "imported as disabled");
  EXPECT_EQ(Import(Ftp(" type = RPC\n")).warnings,
            Lines{"svc:7: warning: type RPC: superd does not register services with rpcbind; "
                  "service 'ftp' left out"});
  EXPECT_EQ(Import(Ftp(" type = TCPMUX\n")).warnings,
            Lines{"svc:7: warning: type TCPMUX: superd has no TCPMUX (RFC 1078) multiplexer; "
                  "service 'ftp' left out"});
  EXPECT_EQ(Import(Ftp(" type = FANCY\n")).errors,
            Lines{"svc:7: error: type: unknown 'FANCY' (RPC, INTERNAL, UNLISTED, TCPMUX, TCPMUXPLUS)"});
}

TEST(XinetdImport, Flags) {
  EXPECT_EQ(Import(Ftp(" flags = KEEPALIVE REUSE NOLIBWRAP\n")).yaml,
            std::string(kFtpYaml) + "    keepalive: true\n");
  EXPECT_TRUE(Import(Ftp(" flags = KEEPALIVE REUSE NOLIBWRAP\n")).warnings.empty());
  EXPECT_EQ(Import(Ftp(" flags = NODELAY IDONLY NORETRY INTERCEPT LABELED\n")).warnings,
            (Lines{"svc:7: warning: flags NODELAY: superd does not set TCP_NODELAY on "
                   "connections; ignored",
                   "svc:7: warning: flags IDONLY: superd asks no client for its identity (RFC "
                   "1413); ignored",
                   "svc:7: warning: flags NORETRY: superd has no counterpart; ignored",
                   "svc:7: warning: flags INTERCEPT: superd does not intercept a program's packets "
                   "or connections; ignored",
                   "svc:7: warning: flags LABELED: superd sets no SELinux context from the "
                   "connection; ignored"}));
  EXPECT_EQ(Import(Ftp(" flags = SENSOR\n")).warnings,
            Lines{"svc:7: warning: flags SENSOR: superd has no sensor that bans whoever touches a "
                  "port; service 'ftp' left out"});
  EXPECT_EQ(Import(Ftp(" flags = FAST\n")).errors, Lines{"svc:7: error: flags: unknown 'FAST'"});
}

TEST(XinetdImport, WhatSuperdHasNoCounterpartFor) {
  const Imported r = Import(Ftp(" log_type = SYSLOG daemon info\n log_on_failure += HOST\n"
                                " banner = /etc/issue.net\n banner_success = /etc/ok\n"
                                " banner_fail = /etc/no\n access_times = 08:00-17:00\n"
                                " max_load = 2.5\n deny_time = 60\n libwrap = ftpd\n"));
  EXPECT_EQ(r.yaml, kFtpYaml);
  EXPECT_EQ(r.warnings,
            (Lines{"svc:7: warning: log_type SYSLOG daemon info: superd logs to its standard error "
                   "or to syslog, for all services (superd(8)); not carried over",
                   "svc:8: warning: log_on_failure HOST: superd logs every refused or failed "
                   "connection (superd(8)); not carried over",
                   "svc:9: warning: banner /etc/issue.net: superd sends no banner; not carried over",
                   "svc:10: warning: banner_success /etc/ok: superd sends no banner; not carried over",
                   "svc:11: warning: banner_fail /etc/no: superd sends no banner; not carried over",
                   "svc:12: warning: access_times 08:00-17:00: superd serves at all times; not "
                   "carried over",
                   "svc:13: warning: max_load 2.5: superd does not watch the load average; not "
                   "carried over",
                   "svc:14: warning: deny_time 60: superd has no SENSOR that bans clients; not "
                   "carried over",
                   "svc:15: warning: libwrap ftpd: superd does not read hosts.allow and hosts.deny; "
                   "not carried over"}));
  EXPECT_EQ(Import(Service("ftp", " socket_type = stream\n wait = no\n user = root\n"
                                  " redirect = 192.0.2.9 21\n"))
                .warnings,
            Lines{"svc:6: warning: redirect: superd does not forward connections to another host; "
                  "service 'ftp' left out"});
}

TEST(XinetdImport, AWarningOfDefaultsIsPrintedOnceAtItsLine) {
  const Imported r = Import("defaults\n{\n log_type = SYSLOG daemon\n instances = UNLIMITED\n}\n" +
                            Ftp() + Service("telnet", " socket_type = stream\n wait = no\n"
                                                      " user = root\n server = /usr/sbin/in.telnetd\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:3: warning: log_type SYSLOG daemon: superd logs to its standard error or to "
                   "syslog, for all services (superd(8)); not carried over",
                   "svc:4: warning: instances = UNLIMITED: superd's max_instances has no unlimited "
                   "value; left to its default, 64"}));
}

TEST(XinetdImport, AWarningOfDefaultsThatDependsOnTheServiceNamesIt) {
  const Imported r = Import("defaults\n{\n per_source = 3\n only_from = 10.0.0.0/8\n}\n" + Ftp() +
                            Service("ftp", " id = ftp-wait\n socket_type = stream\n wait = yes\n"
                                           " user = root\n server = /usr/sbin/in.ftpd\n port = 2121\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:3: warning: per_source (service 'ftp-wait'): superd cannot count the clients "
                   "of a wait service, whose program reads them itself; not carried over",
                   "svc:4: warning: only_from (service 'ftp-wait'): the program of a tcp wait "
                   "service accepts its connections itself, so xinetd checks none of them, and "
                   "superd refuses the key there; not carried over",
                   "svc:20: warning: port 2121 is not ftp's port in /etc/services (21), which "
                   "xinetd allows only with type = UNLISTED; imported with port 2121"}));
  EXPECT_EQ(Import("defaults\n{\n only_from =\n}\n" + Ftp()).warnings,
            Lines{"svc:3: warning: only_from (service 'ftp') is empty, which lets nobody in: "
                  "imported as disabled"});
}

TEST(XinetdImport, TwoServicesOnOneSocketOrOfOneName) {
  const Imported r = Import(Ftp() + Service("ftp", " id = ftp-again\n socket_type = stream\n"
                                                   " wait = no\n user = root\n"
                                                   " server = /usr/sbin/in.ftpd\n") +
                            Service("telnet", " id = ftp\n socket_type = stream\n wait = no\n"
                                              " user = root\n server = /usr/sbin/in.telnetd\n"));
  EXPECT_EQ(r.warnings,
            (Lines{"svc:8: warning: service 'ftp-again' would listen where service 'ftp' (svc:1) "
                   "does, and xinetd serves only the first: imported as disabled",
                   "svc:16: warning: service name 'ftp' is taken (svc:1): imported as 'ftp-2'"}));
  EXPECT_NE(r.yaml.find("  ftp-again:\n    listen: \"*:21\"\n    program: /usr/sbin/in.ftpd\n"
                        "    user: root\n    disabled: true\n"),
            std::string::npos);
  EXPECT_NE(r.yaml.find("  ftp-2:\n    listen: \"*:23\"\n"), std::string::npos);
  // A disabled one is no obstacle, nor is another protocol or address.
  EXPECT_TRUE(Import(Ftp(" disable = yes\n") + Ftp(" id = b\n")).warnings.empty());
  EXPECT_TRUE(Import(Ftp(" bind = 127.0.0.1\n") + Ftp(" id = b\n bind = 127.0.0.2\n")).warnings.empty());
}

TEST(XinetdImport, GrammarErrorsComeFirstAndNoTableIsMade) {
  const Imported r = Import("service a\n{\n port=1\n}\n");
  EXPECT_EQ(r.errors, Lines{"svc:3: error: attribute 'port' needs a blank before its operator"});
  EXPECT_TRUE(r.table.services.empty());
}

}  // namespace
}  // namespace superd::import
