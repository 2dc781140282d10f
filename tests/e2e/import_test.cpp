// superd-import end to end: the xinetd.d files Debian packages ship and a
// hand-written xinetd.conf (tests/import/) become tables that the real
// `superd --check` accepts, and the real superd serves what was imported.
#include <gtest/gtest.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

std::string ImportBinary() { return SUPERD_IMPORT_BIN; }
std::string Fixtures() { return SUPERD_IMPORT_FIXTURES; }

// superd-import ARGS..., with the header's date fixed at the epoch.
RunResult Import(const std::vector<std::string>& args, const std::string& scratch) {
  ScopedEnv epoch("SOURCE_DATE_EPOCH", "0");
  std::vector<std::string> argv = {ImportBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, scratch);
}

// `superd --check -c TABLE`; fails the test unless superd accepts it.
void ExpectSuperdAccepts(const std::string& table, const std::string& scratch) {
  const RunResult r = RunCommand({SuperdBinary(), "--check", "-c", table}, scratch);
  EXPECT_TRUE(r.exited && r.exit_code == 0)
      << "superd --check refuses what superd-import wrote:\n"
      << r.err << "\n--- " << table << ":\n"
      << ReadFile(table);
}

std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(Import, TheXinetdFilesDebianPackagesShipPassSuperdCheck) {
  Superd scratch;  // only its directory
  // As /etc/xinetd.d: tang-xinetd's tangdx and csync2's csync2.
  const RunResult r = Import({Fixtures() + "/debian"}, scratch.dir());
  ASSERT_TRUE(r.exited);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string tangdx = Fixtures() + "/debian/tangdx";
  EXPECT_NE(r.err.find(tangdx + ":12: warning: log_on_success USERID: superd logs every "
                       "connection and exit at info (superd(8)); not carried over\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("  tangd:\n    listen: \"*:8888\"\n    program: /usr/libexec/tangdw\n"
                       "    args: [/var/db/tang]\n    user: root\n"),
            std::string::npos)
      << r.out;
  if (access("/usr/libexec/tangdw", X_OK) != 0) {
    EXPECT_NE(r.err.find(tangdx + ":8: warning: server /usr/libexec/tangdw is not an executable "
                         "file here, so xinetd does not serve the service either: imported as "
                         "disabled\n"),
              std::string::npos)
        << r.err;
  }
  // csync2 has no port: /etc/services gives it (30865 in Debian's netbase).
  if (const servent* s = getservbyname("csync2", "tcp")) {
    const std::string port = std::to_string(ntohs(static_cast<uint16_t>(s->s_port)));
    EXPECT_NE(r.out.find("  csync2:\n    listen: \"*:" + port + "\"\n    program: /usr/sbin/csync2\n"
                         "    args: [\"-i\", \"-l\"]\n    user: root\n    group: root\n"
                         "    disabled: true\n"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.err.find("debian/csync2:"), std::string::npos) << "REUSE and disable carry over:\n"
                                                              << r.err;
  }
  ExpectSuperdAccepts(Write(scratch.dir() + "/debian.yaml", r.out), scratch.dir());
}

// The hand-written configuration, in a directory of the test's own.
struct HandWritten {
  std::map<std::string, std::string> vars;
  std::string dir;

  explicit HandWritten(const std::string& into) : dir(into) {
    const passwd* pw = getpwuid(getuid());
    const group* gr = getgrgid(getgid());
    vars = {{"DIR", dir},
            {"USER", pw ? pw->pw_name : std::to_string(getuid())},
            {"GROUP", gr ? gr->gr_name : std::to_string(getgid())},
            {"SERVICES_DIR", fs::path(ServiceBinary("echo")).parent_path().string()},
            {"HELPERS_DIR", fs::path(HelperBinary("contract")).parent_path().string()}};
    for (const char* port :
         {"ECHO_PORT", "UDP_PORT", "REPORT_PORT", "WAIT_PORT", "REFUSED_PORT", "RETIRED_PORT"})
      vars[port] = std::to_string(PickPort());
    fs::create_directories(dir + "/xinetd.d");
    Copy("xinetd.conf");
    for (const fs::directory_entry& e : fs::directory_iterator(Fixtures() + "/xinetd.d"))
      Copy("xinetd.d/" + e.path().filename().string());
  }
  void Copy(const std::string& name) {
    Write(dir + "/" + name, Subst(ReadFile(Fixtures() + "/" + name), vars));
  }
  uint16_t Port(const std::string& name) { return static_cast<uint16_t>(std::stoi(vars.at(name))); }
  std::string Expected(const std::string& name) {
    return Subst(ReadFile(Fixtures() + "/" + name), vars);
  }
};

TEST(Import, AHandWrittenXinetdConfIsImportedCheckedAndServed) {
  Superd superd;
  HandWritten conf(superd.dir() + "/xinetd");
  const RunResult r = Import({"--services-dir", conf.vars["SERVICES_DIR"], conf.dir + "/xinetd.conf"},
                             superd.dir());
  ASSERT_TRUE(r.exited);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, conf.Expected("xinetd.conf.warnings"));
  EXPECT_EQ(r.out, conf.Expected("xinetd.conf.yaml"));
  ExpectSuperdAccepts(Write(superd.dir() + "/imported.yaml", r.out), superd.dir());

  superd.WriteTable(r.out);
  ASSERT_TRUE(superd.Start());
  // The sample echo, over tcp and udp.
  Fd echo = ConnectTcp("127.0.0.1", conf.Port("ECHO_PORT"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(Exchange(echo.get(), "imported from xinetd\n").data, "imported from xinetd\n");
  Fd udp = UdpSocket("127.0.0.1", conf.Port("UDP_PORT"));
  ASSERT_TRUE(udp);
  ASSERT_TRUE(SendAll(udp.get(), "datagram"));
  EXPECT_EQ(ReceiveDatagram(udp.get()).value_or("(nothing)"), "datagram");
  // What the program is given: args, env, umask, nice, rlimits, keepalive.
  Fd report = ConnectTcp("127.0.0.1", conf.Port("REPORT_PORT"));
  ASSERT_TRUE(report);
  Report got = ParseReport(ReadAll(report.get()).data);
  EXPECT_EQ(got["argv.1"], "--stderr");
  EXPECT_EQ(got["argv.2"], "imported");
  EXPECT_EQ(got["env:LANG"], "C.UTF-8");
  EXPECT_EQ(got["env:FROM"], "xinetd");
  EXPECT_EQ(got["env:EXTRA"], "1");
  EXPECT_EQ(got.count("env:TZ"), 0u);  // passenv is not carried over
  EXPECT_EQ(got["umask"], "0077");
  EXPECT_EQ(got["nice"], "5");
  EXPECT_EQ(got["limit.cpu"], "60/60");
  EXPECT_EQ(got["limit.nofile"], "256/256");
  EXPECT_EQ(got["keepalive"], "1");
  // A tcp wait service: its program accepts.
  Fd waiter = ConnectTcp("127.0.0.1", conf.Port("WAIT_PORT"));
  ASSERT_TRUE(waiter);
  EXPECT_NE(ReadAll(waiter.get()).data.find("served=1"), std::string::npos);
  // no_access 127.0.0.1: accepted and closed at once, without a byte.
  Fd refused = ConnectTcp("127.0.0.1", conf.Port("REFUSED_PORT"));
  ASSERT_TRUE(refused);
  const ReadResult nothing = ReadAll(refused.get());
  EXPECT_TRUE(nothing.eof);
  EXPECT_EQ(nothing.data, "");
  EXPECT_TRUE(superd.WaitForLog("refused: refused connection from 127\\.0\\.0\\.1:[0-9]+: deny 127\\.0\\.0\\.1"));
  // Disabled by the defaults' `disabled`: nothing listens.
  Fd none;
  EXPECT_EQ(TryConnectTcp("127.0.0.1", conf.Port("RETIRED_PORT"), &none), ECONNREFUSED);
}

TEST(Import, NameinargsGivesTheProgramItsArgv0) {
  Superd superd;
  const uint16_t port = PickPort();
  const passwd* pw = getpwuid(getuid());
  const std::string file = Write(
      superd.dir() + "/report",
      "service report\n{\n type = UNLISTED\n port = " + std::to_string(port) +
          "\n bind = 127.0.0.1\n socket_type = stream\n wait = no\n user = " +
          std::string(pw ? pw->pw_name : std::to_string(getuid())) +
          "\n flags = NAMEINARGS\n server = " + HelperBinary("contract") +
          "\n server_args = in.report --stderr nameinargs\n}\n");
  const RunResult r = Import({file}, superd.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.out.find("    argv0: in.report\n    args: [\"--stderr\", nameinargs]\n"),
            std::string::npos)
      << r.out;
  const std::string table = Write(superd.dir() + "/imported.yaml", r.out);
  const RunResult check = RunCommand({SuperdBinary(), "--check", "-c", table}, superd.dir());
  ASSERT_EQ(check.exit_code, 0) << check.err << r.out;
  superd.WriteTable(r.out);
  ASSERT_TRUE(superd.Start());
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  Report got = ParseReport(ReadAll(c.get()).data);
  EXPECT_EQ(got["argv.0"], "in.report");
  EXPECT_EQ(got["argv.1"], "--stderr");
  EXPECT_EQ(got["argv.2"], "nameinargs");
}

TEST(Import, MalformedInputIsAnErrorAtItsLineAndNoTable) {
  Superd scratch;
  const std::string file =
      Write(scratch.dir() + "/broken", "service a\n{\n port=7\n wait yes\n}\nservice b\n");
  const RunResult r = Import({file}, scratch.dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, file + ":3: error: attribute 'port' needs a blank before its operator\n" +
                       file + ":4: error: expected '=', '+=' or '-=' after 'wait'\n" + file +
                       ":6: error: expected a '{' block after this line, not the end of the file\n");
}

// An inetd.conf becomes the services superd's own inetd_conf would serve:
// the table passes --check and serves them, tcpd-style argv[0] included.
TEST(Import, AnInetdConfIsImportedCheckedAndServed) {
  Superd superd;
  const uint16_t tcp = PickPort(), udp = PickPort();
  const std::string echo = ServiceBinary("echo");
  const std::string file = Write(
      superd.dir() + "/inetd.conf",
      "#:STANDARD: These are standard services.\n"
      "127.0.0.1:" + std::to_string(tcp) + "\tstream\ttcp\tnowait.100\troot\t" + echo +
          "\tin.echo\n"
      "127.0.0.1:" + std::to_string(udp) + "\tdgram\tudp\twait\troot\t" + echo + "\n"
      "#<off># 127.0.0.1:" + std::to_string(PickPort()) + "\tstream\ttcp\tnowait\tnobody\t" +
          echo + "\n"
      "rstatd/1-5\tdgram\trpc/udp\twait\tnobody\t/usr/sbin/tcpd\t/usr/sbin/rpc.rstatd\n");
  const RunResult r = Import({file}, superd.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(file + ":5: warning: "), std::string::npos) << r.err;  // the rpc entry
  EXPECT_NE(r.out.find("    argv0: in.echo\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    rate_limit: \"100/1m\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    disabled: true\n"), std::string::npos) << r.out;
  const std::string table = Write(superd.dir() + "/imported.yaml", r.out);
  const RunResult check = RunCommand({SuperdBinary(), "--check", "-c", table}, superd.dir());
  ASSERT_EQ(check.exit_code, 0) << check.err << r.out;
  superd.WriteTable(r.out);
  ASSERT_TRUE(superd.Start());
  Fd c = ConnectTcp("127.0.0.1", tcp);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "over tcp\n").data, "over tcp\n");
}

// An entry superd would refuse is the import's error, at its line.
TEST(Import, ABrokenInetdConfEntryIsAnErrorAtItsLineAndNoTable) {
  Superd scratch;
  const std::string file = Write(scratch.dir() + "/inetd.conf",
                                 "#:STANDARD:\nfinger stream tcp sometimes nobody /usr/sbin/tcpd "
                                 "/usr/sbin/in.fingerd\n");
  const RunResult r = Import({file}, scratch.dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind(file + ":2: error: ", 0), 0u) << r.err;
}

TEST(Import, UsageErrorsExitTwo) {
  Superd scratch;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{}, {"--bogus", "x"}, {"a", "b"}, {"--services-dir"}}) {
    const RunResult r = Import(args, scratch.dir());
    EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args);
    EXPECT_NE(r.err.find("Try 'superd-import --help'."), std::string::npos) << r.err;
  }
  const RunResult missing = Import({scratch.dir() + "/nowhere"}, scratch.dir());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("unable to read"), std::string::npos) << missing.err;
  const RunResult help = Import({"--help"}, scratch.dir());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: superd-import"), std::string::npos);
}

}  // namespace
}  // namespace e2e
