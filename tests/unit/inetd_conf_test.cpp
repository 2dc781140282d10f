// ReadInetdConf: every real entry Debian packages write (DEBIAN-INETD.md,
// section 1) with the exact Service it gives, every form of the grammar
// (section 2), and broken lines with their LINE:COLUMN and message.
//
// Programs of entries in use must exist: the tests point them at files
// they create in a temporary directory (${BIN}); entries written with
// Debian's paths are `#<off>#` ones, or check the error a missing program
// gives. The users and groups are those of every Debian 12 system (root,
// nobody, daemon, www-data, lp; tty, www-data, nogroup).
#include "inetd_conf.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace superd {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr Rate kNowait{256, 60s};  // openbsd-inetd's default -R

uid_t Uid(const char* user) {
  const passwd* pw = getpwnam(user);
  EXPECT_NE(pw, nullptr) << user;
  return pw ? pw->pw_uid : 0;
}
gid_t Gid(const char* group) {
  const struct group* gr = getgrnam(group);
  EXPECT_NE(gr, nullptr) << group;
  return gr ? gr->gr_gid : 0;
}

// "SPEC -> ADDRESS", with " dual" for a dual-stack socket.
std::vector<std::string> Listen(const Service& s) {
  std::vector<std::string> out;
  for (const Endpoint& e : s.listen)
    out.push_back(e.spec + " -> " + e.address.ToString() + (e.dual_stack ? " dual" : ""));
  return out;
}

// Every field of a Service that an entry sets, one per line.
std::string Shape(const Service& s) {
  std::string out = s.name + "\n";
  for (const std::string& l : Listen(s)) out += "listen " + l + "\n";
  out += std::string(s.protocol == Protocol::kUdp ? "udp" : "tcp") +
         (s.wait ? " wait\n" : " nowait\n");
  out += "program " + s.program + "\nargv0 " + s.argv0 + "\n";
  for (const std::string& a : s.args) out += "arg " + a + "\n";
  out += "rate_limit " + std::to_string(s.policy.rate_limit.count) + "/" +
         std::to_string(s.policy.rate_limit.per.count()) + "ms, pause " +
         std::to_string(s.policy.rate_limit_pause.count()) + "ms\n";
  if (s.credentials) {
    const struct group* gr = getgrgid(s.credentials->gid);
    out += "user " + s.credentials->user_name + " group " + (gr ? gr->gr_name : "?") + "\n";
  }
  out += "stderr " + std::string(s.stderr_mode == StderrMode::kSocket ? "socket" : "other") +
         ", buffers " + std::to_string(s.sndbuf) + " " + std::to_string(s.rcvbuf) +
         (s.disabled ? ", disabled\n" : "\n");
  return out;
}

std::vector<std::string> Names(const InetdConf& conf) {
  std::vector<std::string> out;
  for (const InetdService& s : conf.services)
    out.push_back(s.service.name + (s.service.disabled ? " (disabled)" : ""));
  return out;
}

class InetdConfTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/superd-inetd-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    bin_ = dir_ + "/bin";
    internal_ = dir_ + "/internal";
    fs::create_directories(bin_);
    fs::create_directories(internal_);
    for (const char* name : {"tcpd", "in.ntalkd", "micro-httpd", "apt-cacher", "cups-lpd",
                             "ident2", "server"})
      Executable(bin_ + "/" + name);
    for (const char* name : {"echo", "discard", "chargen", "daytime", "time"})
      Executable(internal_ + "/" + name);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Executable(const std::string& path) {
    std::ofstream(path) << "#!/bin/sh\n";
    ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  }

  // ${BIN} is the directory of the test's programs.
  InetdConf Read(std::string text) {
    for (size_t at; (at = text.find("${BIN}")) != std::string::npos;)
      text.replace(at, 6, bin_);
    return ReadInetdConf(text, "inetd.conf", internal_);
  }

  // The services of `text`, which must have no diagnostics at all.
  std::vector<InetdService> Services(const std::string& text) {
    InetdConf conf = Read(text);
    EXPECT_EQ(conf.diagnostics.FormatAll(), "");
    return conf.services;
  }

  // The one service of `text`, which must have no diagnostics.
  Service One(const std::string& text) {
    std::vector<InetdService> services = Services(text);
    EXPECT_EQ(services.size(), 1u) << text;
    return services.empty() ? Service{} : services.front().service;
  }

  // The diagnostics of `text`, one per line.
  std::string Problems(const std::string& text) {
    return Read(text).diagnostics.FormatAll();
  }

  std::string dir_, bin_, internal_;
};

// --- 1. The real entries ----------------------------------------------------

// fingerd: a tcpd chain. tcpd is the program, in.fingerd argv[0].
TEST_F(InetdConfTest, FingerThroughTcpd) {
  const auto services =
      Services("finger  stream tcp nowait nobody  ${BIN}/tcpd /usr/sbin/in.fingerd\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].inetd_name, "finger");
  EXPECT_EQ(services[0].position.line, 1);
  EXPECT_EQ(services[0].position.column, 1);
  const Service& s = services[0].service;
  EXPECT_EQ(s.name, "finger.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:finger -> [::]:79 dual"});
  EXPECT_EQ(s.protocol, Protocol::kTcp);
  EXPECT_FALSE(s.wait);
  EXPECT_EQ(s.program, bin_ + "/tcpd");
  EXPECT_EQ(s.argv0, "/usr/sbin/in.fingerd");
  EXPECT_TRUE(s.args.empty());
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("nobody"));
  EXPECT_EQ(s.credentials->gid, getpwnam("nobody")->pw_gid);
  EXPECT_EQ(s.credentials->user_name, "nobody");
  EXPECT_EQ(s.policy.rate_limit, kNowait);
  EXPECT_EQ(s.policy.rate_limit_pause, 10s);  // superd's, not a 10-minute blackout
  EXPECT_EQ(s.stderr_mode, StderrMode::kSocket);
  EXPECT_EQ(s.sndbuf, 0);
  EXPECT_EQ(s.rcvbuf, 0);
  EXPECT_FALSE(s.disabled);
}

// The same line as fingerd writes it, on a machine without tcpd.
TEST_F(InetdConfTest, FingerWithoutTcpdInstalledIsAProgramError) {
  EXPECT_EQ(Problems("finger  stream tcp nowait nobody  /usr/sbin/tcpd /usr/sbin/in.fingerd\n"),
            "inetd.conf:1:35: error: program: unable to find /usr/sbin/tcpd: No such file or "
            "directory\n");
}

// talkd: nobody.tty is the user nobody with the group tty, and the user's
// supplementary groups (initgroups), as the YAML table's user and group.
TEST_F(InetdConfTest, NtalkAsNobodyWithGroupTty) {
  const Service s = One("ntalk   dgram  udp wait nobody.tty ${BIN}/in.ntalkd in.ntalkd\n");
  EXPECT_EQ(s.name, "ntalk.udp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:ntalk -> [::]:518 dual"});
  EXPECT_EQ(s.protocol, Protocol::kUdp);
  EXPECT_TRUE(s.wait);
  EXPECT_EQ(s.program, bin_ + "/in.ntalkd");
  EXPECT_EQ(s.argv0, "in.ntalkd");
  EXPECT_TRUE(s.args.empty());
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("nobody"));
  EXPECT_EQ(s.credentials->gid, Gid("tty"));
  EXPECT_EQ(s.credentials->user_name, "nobody");
  ASSERT_FALSE(s.credentials->groups.empty());
  EXPECT_EQ(s.credentials->groups.front(), Gid("tty"));
  EXPECT_EQ(s.policy.rate_limit, kWaitRateLimit);
  EXPECT_FALSE(s.disabled);
}

// inetutils-talkd's disabled entry: udp4 is IPv4 only. Its programs need
// not exist.
TEST_F(InetdConfTest, DisabledNtalkOnUdp4) {
  const auto services =
      Services("#<off># ntalk dgram udp4 wait root /usr/sbin/tcpd /usr/sbin/talkd\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].position.column, 9);
  EXPECT_EQ(services[0].inetd_name, "ntalk");
  const Service& s = services[0].service;
  EXPECT_EQ(s.name, "ntalk.udp4");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"0.0.0.0:ntalk -> 0.0.0.0:518"});
  EXPECT_EQ(s.protocol, Protocol::kUdp);
  EXPECT_TRUE(s.wait);
  EXPECT_EQ(s.program, "/usr/sbin/tcpd");
  EXPECT_EQ(s.argv0, "/usr/sbin/talkd");
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, 0u);
  EXPECT_EQ(s.policy.rate_limit, kWaitRateLimit);
  EXPECT_TRUE(s.disabled);
}

TEST_F(InetdConfTest, DisabledTelnet) {
  const Service s =
      One("#<off># telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n");
  EXPECT_EQ(s.name, "telnet.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:telnet -> [::]:23 dual"});
  EXPECT_FALSE(s.wait);
  EXPECT_EQ(s.program, "/usr/sbin/tcpd");
  EXPECT_EQ(s.argv0, "/usr/sbin/telnetd");
  EXPECT_TRUE(s.args.empty());
  EXPECT_EQ(s.policy.rate_limit, kNowait);
  EXPECT_TRUE(s.disabled);
}

// sane-utils: saned:saned, a user and group this machine does not have, on
// a disabled entry: still a service, without credentials.
TEST_F(InetdConfTest, DisabledSanedWithAUserThatDoesNotExist) {
  ASSERT_EQ(getpwnam("saned"), nullptr) << "this test needs a machine without saned";
  const Service s =
      One("#<off># sane-port stream tcp nowait saned:saned /usr/sbin/saned saned\n");
  EXPECT_EQ(s.name, "sane-port.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:sane-port -> [::]:6566 dual"});
  EXPECT_EQ(s.program, "/usr/sbin/saned");
  EXPECT_EQ(s.argv0, "saned");
  EXPECT_FALSE(s.credentials.has_value());
  EXPECT_TRUE(s.disabled);
}

// micro-httpd: user:group, and an argument passed as written ($WWWDIR is
// no variable to inetd either).
TEST_F(InetdConfTest, MicroHttpdAsNobodyWithGroupWwwData) {
  const Service s = One(
      "www     stream tcp nowait nobody:www-data ${BIN}/tcpd ${BIN}/micro-httpd $WWWDIR\n");
  EXPECT_EQ(s.name, "www.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:www -> [::]:80 dual"});
  EXPECT_EQ(s.program, bin_ + "/tcpd");
  EXPECT_EQ(s.argv0, bin_ + "/micro-httpd");
  EXPECT_EQ(s.args, std::vector<std::string>{"$WWWDIR"});
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("nobody"));
  EXPECT_EQ(s.credentials->gid, Gid("www-data"));
  EXPECT_EQ(s.policy.rate_limit, kNowait);
}

// apt-cacher: a numeric port.
TEST_F(InetdConfTest, AptCacherOnANumericPort) {
  const auto services =
      Services("3142    stream tcp nowait www-data ${BIN}/apt-cacher apt-cacher -i\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].inetd_name, "3142");
  const Service& s = services[0].service;
  EXPECT_EQ(s.name, "3142.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:3142 -> [::]:3142 dual"});
  EXPECT_EQ(s.program, bin_ + "/apt-cacher");
  EXPECT_EQ(s.argv0, "apt-cacher");
  EXPECT_EQ(s.args, std::vector<std::string>{"-i"});
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("www-data"));
  EXPECT_EQ(s.credentials->gid, Gid("www-data"));
}

// An administrator's `#` (not update-inetd's `#<off>#`) is a comment.
TEST_F(InetdConfTest, BootpsCommentedOutIsNoService) {
  EXPECT_TRUE(Services("#bootps dgram udp wait root /usr/sbin/bootpd bootpd -i -t 120\n").empty());
}

TEST_F(InetdConfTest, RpcEntryIsAWarningAndSkipped) {
  const InetdConf conf =
      Read("rstatd/1-5 dgram rpc/udp wait nobody /usr/sbin/tcpd /usr/sbin/rpc.rstatd\n");
  EXPECT_TRUE(conf.services.empty());
  EXPECT_TRUE(conf.diagnostics.empty());
  EXPECT_EQ(conf.diagnostics.FormatAll(),
            "inetd.conf:1:1: warning: rpc services are not supported by superd; skipped\n");
}

TEST_F(InetdConfTest, CupsLpdAsLp) {
  const Service s = One("printer stream tcp nowait lp ${BIN}/cups-lpd cups-lpd\n");
  EXPECT_EQ(s.name, "printer.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:printer -> [::]:515 dual"});
  EXPECT_EQ(s.program, bin_ + "/cups-lpd");
  EXPECT_EQ(s.argv0, "cups-lpd");
  EXPECT_TRUE(s.args.empty());
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("lp"));
  EXPECT_EQ(s.credentials->gid, Gid("lp"));
}

// ident2 runs as identd, which its package creates; `ident` is an alias
// of port 113 in /etc/services.
TEST_F(InetdConfTest, Ident2) {
  const Service s = One("ident   stream tcp nowait daemon ${BIN}/ident2 ident2 -i -n\n");
  EXPECT_EQ(s.name, "ident.tcp");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"*:ident -> [::]:113 dual"});
  EXPECT_EQ(s.program, bin_ + "/ident2");
  EXPECT_EQ(s.argv0, "ident2");
  EXPECT_EQ(s.args, (std::vector<std::string>{"-i", "-n"}));
  ASSERT_TRUE(s.credentials.has_value());
  EXPECT_EQ(s.credentials->uid, Uid("daemon"));
}

TEST_F(InetdConfTest, Ident2WithoutItsUserOrProgramAreTwoErrors) {
  ASSERT_EQ(getpwnam("identd"), nullptr) << "this test needs a machine without identd";
  EXPECT_EQ(Problems("ident   stream tcp nowait identd /usr/sbin/ident2 ident2 -i -n\n"),
            "inetd.conf:1:27: error: user: unknown user 'identd'\n"
            "inetd.conf:1:34: error: program: unable to find /usr/sbin/ident2: No such file "
            "or directory\n");
}

// Each real entry whole: every field of the Service it gives.
TEST_F(InetdConfTest, EveryRealEntryWhole) {
  const std::map<std::string, std::string> want = {
      {"finger  stream tcp nowait nobody  ${BIN}/tcpd /usr/sbin/in.fingerd",
       "finger.tcp\nlisten *:finger -> [::]:79 dual\ntcp nowait\nprogram ${BIN}/tcpd\n"
       "argv0 /usr/sbin/in.fingerd\nrate_limit 256/60000ms, pause 10000ms\n"
       "user nobody group nogroup\nstderr socket, buffers 0 0\n"},
      {"ntalk   dgram  udp wait nobody.tty ${BIN}/in.ntalkd in.ntalkd",
       "ntalk.udp\nlisten *:ntalk -> [::]:518 dual\nudp wait\nprogram ${BIN}/in.ntalkd\n"
       "argv0 in.ntalkd\nrate_limit 50/1000ms, pause 10000ms\nuser nobody group tty\n"
       "stderr socket, buffers 0 0\n"},
      {"#<off># ntalk dgram udp4 wait root /usr/sbin/tcpd /usr/sbin/talkd",
       "ntalk.udp4\nlisten 0.0.0.0:ntalk -> 0.0.0.0:518\nudp wait\n"
       "program /usr/sbin/tcpd\nargv0 /usr/sbin/talkd\n"
       "rate_limit 50/1000ms, pause 10000ms\nuser root group root\n"
       "stderr socket, buffers 0 0, disabled\n"},
      {"#<off># telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd",
       "telnet.tcp\nlisten *:telnet -> [::]:23 dual\ntcp nowait\nprogram /usr/sbin/tcpd\n"
       "argv0 /usr/sbin/telnetd\nrate_limit 256/60000ms, pause 10000ms\n"
       "user root group root\nstderr socket, buffers 0 0, disabled\n"},
      {"#<off># sane-port stream tcp nowait saned:saned /usr/sbin/saned saned",
       "sane-port.tcp\nlisten *:sane-port -> [::]:6566 dual\ntcp nowait\n"
       "program /usr/sbin/saned\nargv0 saned\nrate_limit 256/60000ms, pause 10000ms\n"
       "stderr socket, buffers 0 0, disabled\n"},
      {"www     stream tcp nowait nobody:www-data ${BIN}/tcpd ${BIN}/micro-httpd $WWWDIR",
       "www.tcp\nlisten *:www -> [::]:80 dual\ntcp nowait\nprogram ${BIN}/tcpd\n"
       "argv0 ${BIN}/micro-httpd\narg $WWWDIR\nrate_limit 256/60000ms, pause 10000ms\n"
       "user nobody group www-data\nstderr socket, buffers 0 0\n"},
      {"3142    stream tcp nowait www-data ${BIN}/apt-cacher apt-cacher -i",
       "3142.tcp\nlisten *:3142 -> [::]:3142 dual\ntcp nowait\nprogram ${BIN}/apt-cacher\n"
       "argv0 apt-cacher\narg -i\nrate_limit 256/60000ms, pause 10000ms\n"
       "user www-data group www-data\nstderr socket, buffers 0 0\n"},
      {"printer stream tcp nowait lp ${BIN}/cups-lpd cups-lpd",
       "printer.tcp\nlisten *:printer -> [::]:515 dual\ntcp nowait\n"
       "program ${BIN}/cups-lpd\nargv0 cups-lpd\nrate_limit 256/60000ms, pause 10000ms\n"
       "user lp group lp\nstderr socket, buffers 0 0\n"},
      {"ident   stream tcp nowait daemon ${BIN}/ident2 ident2 -i -n",
       "ident.tcp\nlisten *:ident -> [::]:113 dual\ntcp nowait\nprogram ${BIN}/ident2\n"
       "argv0 ident2\narg -i\narg -n\nrate_limit 256/60000ms, pause 10000ms\n"
       "user daemon group daemon\nstderr socket, buffers 0 0\n"},
  };
  for (const auto& [line, shape] : want) {
    std::string expected = shape;
    for (size_t at; (at = expected.find("${BIN}")) != std::string::npos;)
      expected.replace(at, 6, bin_);
    EXPECT_EQ(Shape(One(line + "\n")), expected) << line;
  }
}

// A file as openbsd-inetd's preinst and update-inetd leave it.
TEST_F(InetdConfTest, AWholeDebianFile) {
  const InetdConf conf = Read(R"(# /etc/inetd.conf:  see inetd(8) for further informations.
#
# Internet superserver configuration database
#
#
# Lines starting with "#:LABEL:" or "#<off>#" should not
# be changed unless you know what you are doing!
#
# If you want to disable an entry so it isn't touched during
# package updates just comment it out with a single '#' character.
#
# Packages should modify this file by using update-inetd(8)
#
# <service_name> <sock_type> <proto> <flags> <user> <server_path> <args>
#
#:INTERNAL: Internal services
#discard		stream	tcp	nowait	root	internal
#discard		dgram	udp	wait	root	internal
#daytime		stream	tcp	nowait	root	internal
#time		stream	tcp	nowait	root	internal

#:STANDARD: These are standard services.
#<off># telnet	stream	tcp	nowait	root	/usr/sbin/tcpd	/usr/sbin/telnetd

#:BSD: Shell, login, exec and talk are BSD protocols.
ntalk	dgram	udp	wait	nobody.tty	${BIN}/in.ntalkd	in.ntalkd

#:MAIL: Mail, news and uucp services.

#:INFO: Info services
finger	stream	tcp	nowait	nobody	${BIN}/tcpd	/usr/sbin/in.fingerd
ident	stream	tcp	nowait	daemon	${BIN}/ident2	ident2 -i -n

#:BOOT: TFTP service is provided primarily for booting.  Most sites
#       run this only on machines acting as "boot servers."
#bootps	dgram	udp	wait	root	/usr/sbin/bootpd	bootpd -i -t 120

#:RPC: RPC based services
rstatd/1-5	dgram	rpc/udp	wait	nobody	/usr/sbin/tcpd	/usr/sbin/rpc.rstatd

#:HAM-RADIO: amateur-radio services

#:OTHER: Other services
printer	stream	tcp	nowait	lp	${BIN}/cups-lpd	cups-lpd
3142	stream	tcp	nowait	www-data	${BIN}/apt-cacher	apt-cacher -i
#<off># sane-port	stream	tcp	nowait	saned:saned	/usr/sbin/saned	saned
www	stream	tcp	nowait	nobody:www-data	${BIN}/tcpd	${BIN}/micro-httpd $WWWDIR
)");
  EXPECT_EQ(Names(conf),
            (std::vector<std::string>{"telnet.tcp (disabled)", "ntalk.udp", "finger.tcp",
                                      "ident.tcp", "printer.tcp", "3142.tcp",
                                      "sane-port.tcp (disabled)", "www.tcp"}));
  EXPECT_EQ(conf.diagnostics.FormatAll(),
            "inetd.conf:39:1: warning: rpc services are not supported by superd; skipped\n");
  ASSERT_EQ(conf.services.size(), 8u);
  EXPECT_EQ(conf.services[1].position.line, 26);
  EXPECT_EQ(conf.services[1].service.credentials->gid, Gid("tty"));
}

// --- 2. The grammar ---------------------------------------------------------

TEST_F(InetdConfTest, HostsBeforeTheService) {
  EXPECT_EQ(Listen(One("127.0.0.1:echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7"});
  EXPECT_EQ(Listen(One("[::1]:echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"[::1]:echo -> [::1]:7"});
  EXPECT_EQ(Listen(One("127.0.0.1,[::1]:echo stream tcp nowait root internal\n")),
            (std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7",
                                      "[::1]:echo -> [::1]:7"}));
  // Split at the last ':': an IPv6 address may go without brackets.
  EXPECT_EQ(Listen(One("::1:echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"::1:echo -> [::1]:7"});
  // `:service` and `*:service` are every address; empty hosts are skipped.
  EXPECT_EQ(Listen(One(":echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(Listen(One("*:echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(Listen(One("127.0.0.1,,:echo stream tcp nowait root internal\n")),
            std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7"});
}

TEST_F(InetdConfTest, AHostNameIsResolved) {
  const Service s = One("localhost:echo stream tcp4 nowait root internal\n");
  EXPECT_EQ(Listen(s), std::vector<std::string>{"localhost:echo -> 127.0.0.1:7"});
}

// `host:` alone sets the host of the lines after it; `*:` resets it.
TEST_F(InetdConfTest, DefaultHostLines) {
  const auto services = Services(
      "127.0.0.1:\n"
      "echo stream tcp nowait root internal\n"
      "#<off># discard stream tcp nowait root internal\n"
      "[::1],127.0.0.2:\n"
      "daytime stream tcp nowait root internal\n"
      "*:\n"
      "time stream tcp nowait root internal\n"
      "10.0.0.1:\n"
      "::1:chargen stream tcp nowait root internal\n");
  ASSERT_EQ(services.size(), 5u);
  EXPECT_EQ(Listen(services[0].service),
            std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7"});
  EXPECT_EQ(Listen(services[1].service),
            std::vector<std::string>{"127.0.0.1:discard -> 127.0.0.1:9"});
  EXPECT_EQ(Listen(services[2].service),
            (std::vector<std::string>{"[::1]:daytime -> [::1]:13",
                                      "127.0.0.2:daytime -> 127.0.0.2:13"}));
  EXPECT_EQ(Listen(services[3].service), std::vector<std::string>{"*:time -> [::]:37 dual"});
  // A host of its own wins over the default.
  EXPECT_EQ(Listen(services[4].service), std::vector<std::string>{"::1:chargen -> [::1]:19"});
}

// openbsd-inetd reads `host: service ...` (a space after the colon) as the
// service on that host.
TEST_F(InetdConfTest, AHostThenTheServiceAsItsOwnField) {
  const auto services = Services("127.0.0.1: echo stream tcp nowait root internal\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].service.name, "echo.tcp");
  EXPECT_EQ(Listen(services[0].service),
            std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7"});
  // Not a default for the lines after it.
  const auto two = Services("127.0.0.1: echo stream tcp nowait root internal\n"
                            "daytime stream tcp nowait root internal\n");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(Listen(two[1].service), std::vector<std::string>{"*:daytime -> [::]:13 dual"});
}

TEST_F(InetdConfTest, ContinuationLines) {
  const auto services = Services(
      "finger stream tcp nowait nobody\n"
      "\t${BIN}/tcpd\n"
      "  /usr/sbin/in.fingerd\n"
      "\t\n"
      "    -l\n"
      "echo stream tcp nowait root internal\n");
  ASSERT_EQ(services.size(), 2u);
  const Service& s = services[0].service;
  EXPECT_EQ(s.program, bin_ + "/tcpd");
  EXPECT_EQ(s.argv0, "/usr/sbin/in.fingerd");
  EXPECT_EQ(s.args, std::vector<std::string>{"-l"});
  EXPECT_EQ(services[1].service.name, "echo.tcp");
}

// An empty line or a comment ends an entry: a line with a space or tab in
// front after it is an entry of its own, as openbsd-inetd reads it.
TEST_F(InetdConfTest, ACommentOrEmptyLineEndsAnEntry) {
  EXPECT_EQ(Problems("finger stream tcp nowait nobody ${BIN}/tcpd\n"
                     "# the server\n"
                     "\t/usr/sbin/in.fingerd\n"),
            "inetd.conf:3:2: error: incomplete entry: 1 fields, expected at least 6 (SERVICE "
            "SOCKET-TYPE PROTOCOL WAIT USER PROGRAM [ARGV0 ARGUMENTS...])\n");
  const auto services = Services("\n  echo stream tcp nowait root internal\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].position.column, 3);
}

// update-inetd --disable comments out the first line only: the
// continuation belongs to the disabled entry.
TEST_F(InetdConfTest, ContinuationOfADisabledEntry) {
  const Service s = One("#<off># finger stream tcp nowait nobody /usr/sbin/tcpd\n"
                        "\t/usr/sbin/in.fingerd\n");
  EXPECT_TRUE(s.disabled);
  EXPECT_EQ(s.argv0, "/usr/sbin/in.fingerd");
}

TEST_F(InetdConfTest, DisabledPrefixWithOrWithoutSpaces) {
  for (const char* prefix : {"#<off>#", "#<off># ", "#<off>#\t  "}) {
    const Service s = One(std::string(prefix) + "echo stream tcp nowait root internal\n");
    EXPECT_TRUE(s.disabled) << prefix;
    EXPECT_EQ(s.name, "echo.tcp") << prefix;
  }
}

TEST_F(InetdConfTest, ProtocolFamilies) {
  const auto listen = [&](const std::string& protocol, const std::string& host = "") {
    const bool udp = protocol.starts_with("udp");
    return Listen(One(host + "echo " + (udp ? "dgram " : "stream ") + protocol +
                      (udp ? " wait" : " nowait") + " root internal\n"));
  };
  EXPECT_EQ(listen("tcp"), std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(listen("tcp46"), std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(listen("tcp4"), std::vector<std::string>{"0.0.0.0:echo -> 0.0.0.0:7"});
  EXPECT_EQ(listen("tcp6"), std::vector<std::string>{"[::]:echo -> [::]:7"});
  EXPECT_EQ(listen("udp"), std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(listen("udp46"), std::vector<std::string>{"*:echo -> [::]:7 dual"});
  EXPECT_EQ(listen("udp4"), std::vector<std::string>{"0.0.0.0:echo -> 0.0.0.0:7"});
  EXPECT_EQ(listen("udp6"), std::vector<std::string>{"[::]:echo -> [::]:7"});
  EXPECT_EQ(listen("tcp6", "[::1]:"), std::vector<std::string>{"[::1]:echo -> [::1]:7"});
  EXPECT_EQ(listen("udp4", "127.0.0.1:"),
            std::vector<std::string>{"127.0.0.1:echo -> 127.0.0.1:7"});
  // The name keeps the protocol as written.
  EXPECT_EQ(One("echo dgram udp6 wait root internal\n").name, "echo.udp6");
}

TEST_F(InetdConfTest, SocketBufferSizes) {
  Service s = One("echo stream tcp,sndbuf=64k,rcvbuf=1m nowait root internal\n");
  EXPECT_EQ(s.name, "echo.tcp");
  EXPECT_EQ(s.sndbuf, 64 * 1024);
  EXPECT_EQ(s.rcvbuf, 1024 * 1024);
  s = One("echo dgram udp,rcvbuf=4096 wait root internal\n");
  EXPECT_EQ(s.sndbuf, 0);
  EXPECT_EQ(s.rcvbuf, 4096);
  s = One("echo stream tcp,sndbuf=2M nowait root internal\n");
  EXPECT_EQ(s.sndbuf, 2 << 20);
}

TEST_F(InetdConfTest, RateLimits) {
  EXPECT_EQ(One("finger stream tcp nowait.10 root ${BIN}/server\n").policy.rate_limit,
            (Rate{10, 60s}));
  EXPECT_EQ(One("finger stream tcp nowait root ${BIN}/server\n").policy.rate_limit, kNowait);
  // wait: superd's wait default, or .N too.
  EXPECT_EQ(One("finger stream tcp wait root ${BIN}/server\n").policy.rate_limit,
            kWaitRateLimit);
  EXPECT_EQ(One("ntalk dgram udp wait.40 root ${BIN}/server\n").policy.rate_limit,
            (Rate{40, 60s}));
  const Service s = One("finger stream tcp wait root ${BIN}/server\n");
  EXPECT_TRUE(s.wait);
  EXPECT_EQ(s.argv0, "server");
}

TEST_F(InetdConfTest, UsersAndGroups) {
  Service s = One("finger stream tcp nowait daemon.tty ${BIN}/server\n");
  EXPECT_EQ(s.credentials->uid, Uid("daemon"));
  EXPECT_EQ(s.credentials->gid, Gid("tty"));
  EXPECT_EQ(s.credentials->groups.front(), Gid("tty"));
  s = One("finger stream tcp nowait daemon:tty ${BIN}/server\n");
  EXPECT_EQ(s.credentials->uid, Uid("daemon"));
  EXPECT_EQ(s.credentials->gid, Gid("tty"));
  s = One("finger stream tcp nowait root ${BIN}/server\n");
  EXPECT_EQ(s.credentials->uid, 0u);
  EXPECT_EQ(s.credentials->gid, 0u);
  EXPECT_EQ(s.credentials->user_name, "root");
  // Numbers, as in the YAML table; a uid without a passwd entry needs a group.
  s = One("finger stream tcp nowait 65534 ${BIN}/server\n");
  EXPECT_EQ(s.credentials->user_name, "nobody");
  s = One("finger stream tcp nowait 54321.nogroup ${BIN}/server\n");
  EXPECT_EQ(s.credentials->uid, 54321u);
  EXPECT_EQ(s.credentials->gid, Gid("nogroup"));
  EXPECT_EQ(s.credentials->groups, std::vector<gid_t>{Gid("nogroup")});
}

TEST_F(InetdConfTest, InternalServices) {
  for (const char* name : {"echo", "discard", "chargen", "daytime", "time"}) {
    Service s = One(std::string(name) + " stream tcp nowait root internal\n");
    EXPECT_EQ(s.name, std::string(name) + ".tcp");
    EXPECT_EQ(s.program, internal_ + "/" + name);
    EXPECT_EQ(s.argv0, name);
    EXPECT_TRUE(s.args.empty());
    EXPECT_FALSE(s.wait);
    EXPECT_EQ(s.policy.rate_limit, kNowait);
    // udp: superd's samples answer datagrams as wait services.
    s = One(std::string(name) + " dgram udp wait root internal\n");
    EXPECT_EQ(s.name, std::string(name) + ".udp");
    EXPECT_EQ(s.program, internal_ + "/" + name);
    EXPECT_EQ(s.protocol, Protocol::kUdp);
    EXPECT_TRUE(s.wait);
    EXPECT_EQ(s.policy.rate_limit, kWaitRateLimit);
  }
}

// As openbsd-inetd, the wait field of an internal service does not change
// how it runs: the sample programs are tcp nowait and udp wait.
TEST_F(InetdConfTest, InternalServicesRunAsTheSamplesNeed) {
  EXPECT_FALSE(One("echo stream tcp wait root internal\n").wait);
  const Service s = One("echo dgram udp nowait.20 root internal\n");
  EXPECT_TRUE(s.wait);
  EXPECT_EQ(s.policy.rate_limit, (Rate{20, 60s}));
}

TEST_F(InetdConfTest, ArgumentsOfAnInternalServiceAreAWarning) {
  const InetdConf conf = Read("echo stream tcp nowait root internal echo -x\n");
  EXPECT_EQ(conf.diagnostics.FormatAll(),
            "inetd.conf:1:38: warning: arguments of an internal service are ignored\n");
  ASSERT_EQ(conf.services.size(), 1u);
  EXPECT_TRUE(conf.services[0].service.args.empty());
  EXPECT_EQ(conf.services[0].service.argv0, "echo");
}

TEST_F(InetdConfTest, WithoutArgv0ItIsTheProgramsBasename) {
  const Service s = One("finger stream tcp nowait root ${BIN}/server\n");
  EXPECT_EQ(s.argv0, "server");
  EXPECT_TRUE(s.args.empty());
}

// openbsd-inetd reads 1024 bytes a line; superd takes longer ones.
TEST_F(InetdConfTest, LinesLongerThan1024Bytes) {
  const std::string arg(3000, 'a');
  const Service s = One("finger stream tcp nowait root ${BIN}/server server " + arg + "\n");
  EXPECT_EQ(s.args, std::vector<std::string>{arg});
}

TEST_F(InetdConfTest, CrLfLineEnds) {
  const auto services = Services("# dos\r\nfinger stream tcp nowait root ${BIN}/server srv\r\n"
                                 "\r\n");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].service.argv0, "srv");
}

TEST_F(InetdConfTest, EmptyAndCommentOnlyFilesHaveNoServices) {
  EXPECT_TRUE(Services("").empty());
  EXPECT_TRUE(Services("\n\n# nothing\n#<off>#\n   \n").empty());
}

// --- 3. Names -------------------------------------------------------------

// An entry in use and `#<off>#` entries of the same name: update-inetd
// leaves such pairs (another package's disabled entry for the service).
TEST_F(InetdConfTest, ADisabledEntryGivesWayToOneInUse) {
  InetdConf conf = Read("#<off># finger stream tcp nowait root /usr/sbin/tcpd /usr/sbin/cfingerd\n"
                        "finger stream tcp nowait nobody ${BIN}/tcpd /usr/sbin/in.fingerd\n"
                        "#<off># finger stream tcp nowait root /usr/sbin/tcpd /usr/sbin/efingerd\n"
                        "echo stream tcp nowait root internal\n");
  EXPECT_EQ(conf.diagnostics.FormatAll(), "");
  EXPECT_EQ(Names(conf), (std::vector<std::string>{"finger.tcp", "echo.tcp"}));
  EXPECT_EQ(conf.services[0].service.argv0, "/usr/sbin/in.fingerd");
  EXPECT_EQ(conf.services[0].position.line, 2);
  conf = Read("#<off># finger stream tcp nowait root /usr/sbin/tcpd /usr/sbin/cfingerd\n"
              "#<off># finger stream tcp nowait root /usr/sbin/tcpd /usr/sbin/efingerd\n");
  ASSERT_EQ(Names(conf), std::vector<std::string>{"finger.tcp (disabled)"});
  EXPECT_EQ(conf.services[0].service.argv0, "/usr/sbin/cfingerd");
}

TEST_F(InetdConfTest, OneNameInUseTwiceIsAnError) {
  EXPECT_EQ(Problems("127.0.0.1:echo stream tcp nowait root internal\n"
                     "127.0.0.2:echo stream tcp nowait root internal\n"),
            "inetd.conf:2:1: error: service 'echo.tcp' is already defined at line 1 (superd "
            "names an entry SERVICE.PROTOCOL: list both hosts in one entry, "
            "HOST,HOST:SERVICE)\n");
  // Another protocol is another name.
  EXPECT_EQ(Names(Read("echo stream tcp nowait root internal\n"
                       "echo dgram udp wait root internal\n"
                       "echo stream tcp6 nowait root internal\n")),
            (std::vector<std::string>{"echo.tcp", "echo.udp", "echo.tcp6"}));
}

// --- 4. Broken lines --------------------------------------------------------

// A `#<off>#` line inetd could not read is a comment to it: silently not
// a service.
TEST_F(InetdConfTest, AMalformedDisabledLineIsIgnored) {
  for (const char* line : {"#<off># finger stream tcp\n",
                           "#<off># finger stream tcp maybe root /bin/true\n",
                           "#<off># finger stream udp nowait root /bin/true\n",
                           "#<off># finger raw tcp nowait root /bin/true\n",
                           "#<off># finger stream tcp nowait root relative\n",
                           "#<off># 0 stream tcp nowait root /bin/true\n",
                           "#<off># bogus stream tcp nowait root internal\n",
                           "#<off># rstatd/1-5 dgram rpc/udp wait nobody /usr/sbin/tcpd\n",
                           "#<off># Lines starting with \"#:LABEL:\" or \"#<off>#\" should not\n",
                           "#<off># 127.0.0.1:\n"}) {
    const InetdConf conf = Read(line);
    EXPECT_TRUE(conf.services.empty()) << line;
    EXPECT_EQ(conf.diagnostics.FormatAll(), "") << line;
  }
}

// A well-formed one is a service whatever this machine lacks: its user,
// group, program, even its port name and host.
TEST_F(InetdConfTest, AWellFormedDisabledLineNeedsNothingOfThisMachine) {
  const auto services = Services(
      "#<off># finger stream tcp nowait no-such-user.no-such-group /no/such/program x\n"
      "#<off># no-such-service stream tcp nowait root /usr/sbin/x\n"
      "#<off># no-such-host.invalid:echo stream tcp nowait root /usr/sbin/x\n");
  ASSERT_EQ(services.size(), 3u);
  EXPECT_FALSE(services[0].service.credentials.has_value());
  EXPECT_EQ(services[0].service.program, "/no/such/program");
  EXPECT_TRUE(services[1].service.listen.empty());
  EXPECT_TRUE(services[2].service.listen.empty());
  for (const InetdService& s : services) EXPECT_TRUE(s.service.disabled);
}

TEST_F(InetdConfTest, EveryProblemOfAFileAtItsField) {
  EXPECT_EQ(Problems("finger stream tcp\n"                                          // 1
                     "finger raw tcp nowait root /bin/true\n"                      // 2
                     "finger stream sctp nowait root /bin/true\n"                  // 3
                     "finger stream udp nowait root /bin/true\n"                   // 4
                     "finger dgram tcp wait root /bin/true\n"                      // 5
                     "ntalk dgram udp nowait root /bin/true\n"                     // 6
                     "ntalk dgram udp waiting root /bin/true\n"                    // 7
                     "finger stream tcp nowait.0 root /bin/true\n"                 // 8
                     "finger stream tcp nowait.x root /bin/true\n"                 // 9
                     "finger stream tcp nowait no-such-user /bin/true\n"           // 10
                     "finger stream tcp nowait nobody.no-such-group /bin/true\n"   // 11
                     "finger stream tcp nowait no-such-user:tty /bin/true\n"       // 12
                     "finger stream tcp nowait nobody. /bin/true\n"                // 13
                     "finger stream tcp nowait 54321 /bin/true\n"                  // 14
                     "finger stream tcp nowait root bin/true\n"                    // 15
                     "finger stream tcp nowait root /etc/passwd\n"                 // 16
                     "bogus stream tcp nowait root internal\n"                     // 17
                     "no-such-service stream tcp nowait root /bin/true\n"          // 18
                     "0 stream tcp nowait root /bin/true\n"                        // 19
                     "70000 stream tcp nowait root /bin/true\n"                    // 20
                     "127.0.0.1:finger stream tcp6 nowait root /bin/true\n"        // 21
                     "[::1]:finger stream tcp4 nowait root /bin/true\n"            // 22
                     "[::1:finger stream tcp nowait root /bin/true\n"              // 23
                     "no-such-host.invalid:finger stream tcp nowait root /bin/true\n"  // 24
                     "finger stream tcp,sndbuf=2g nowait root /bin/true\n"         // 25
                     "finger stream tcp,rcvbuf=12Q,nodelay nowait root /bin/true\n"  // 26
                     "finger stream tcp,sndbuf nowait root /bin/true\n"            // 27
                     "a+b stream tcp nowait root /bin/true\n"                      // 28
                     ",:finger stream tcp nowait root /bin/true\n"                 // 29
                     "/run/x.sock stream unix nowait root /bin/true\n"),           // 30
            "inetd.conf:1:1: error: incomplete entry: 3 fields, expected at least 6 (SERVICE "
            "SOCKET-TYPE PROTOCOL WAIT USER PROGRAM [ARGV0 ARGUMENTS...])\n"
            "inetd.conf:2:8: error: socket type: expected stream or dgram, not 'raw'\n"
            "inetd.conf:3:15: error: protocol: expected tcp, udp, tcp4, udp4, tcp6, udp6, "
            "tcp46 or udp46, not 'sctp'\n"
            "inetd.conf:4:15: error: protocol: udp does not go with socket type stream "
            "(stream is tcp, dgram is udp)\n"
            "inetd.conf:5:14: error: protocol: tcp does not go with socket type dgram "
            "(stream is tcp, dgram is udp)\n"
            "inetd.conf:6:17: error: wait: udp services are wait services (the program is "
            "given the socket itself); write wait\n"
            "inetd.conf:7:17: error: wait: expected wait or nowait, with an optional .N "
            "(spawns a minute), not 'waiting' (openbsd-inetd would take it for nowait; "
            "superd does not guess)\n"
            "inetd.conf:8:26: error: wait: nowait.N: value 0 is out of range (1..1000000)\n"
            "inetd.conf:9:26: error: wait: nowait.N: expected an integer, not 'x'\n"
            "inetd.conf:10:26: error: user: unknown user 'no-such-user'\n"
            "inetd.conf:11:33: error: group: unknown group 'no-such-group'\n"
            "inetd.conf:12:26: error: user: unknown user 'no-such-user'\n"
            "inetd.conf:13:26: error: user: expected USER, USER.GROUP or USER:GROUP, not "
            "'nobody.'\n"
            "inetd.conf:14:26: error: user: uid 54321 has no passwd entry; name a group as "
            "well (USER.GROUP)\n"
            "inetd.conf:15:31: error: program: must be an absolute path or internal, not "
            "'bin/true'\n"
            "inetd.conf:16:31: error: program: /etc/passwd is not executable\n"
            "inetd.conf:17:1: error: service: unknown tcp service 'bogus' (not in "
            "/etc/services)\n"
            "inetd.conf:17:30: error: program: internal service 'bogus' unknown (superd's "
            "are echo, discard, chargen, daytime and time)\n"
            "inetd.conf:18:1: error: service: unknown tcp service 'no-such-service' (not in "
            "/etc/services)\n"
            "inetd.conf:19:1: error: service: port 0 is out of range (1-65535)\n"
            "inetd.conf:20:1: error: service: port 70000 is out of range (1-65535)\n"
            "inetd.conf:21:1: error: host: 127.0.0.1 is an IPv4 address, and protocol tcp6 "
            "listens on IPv6 only\n"
            "inetd.conf:22:1: error: host: ::1 is an IPv6 address, and protocol tcp4 listens "
            "on IPv4 only\n"
            "inetd.conf:23:1: error: host: invalid host '[::1'\n"
            "inetd.conf:24:1: error: host: unable to resolve host 'no-such-host.invalid': "
            "Name or service not known\n"
            "inetd.conf:25:26: error: sndbuf: size '2g' is too large (at most 1G)\n"
            "inetd.conf:26:26: error: rcvbuf: invalid buffer size '12Q' (expected a number of "
            "bytes, with K, M or G, at most 1G)\n"
            "inetd.conf:26:30: error: protocol: unknown option 'nodelay' (expected "
            "sndbuf=SIZE or rcvbuf=SIZE)\n"
            "inetd.conf:27:19: error: protocol: unknown option 'sndbuf' (expected "
            "sndbuf=SIZE or rcvbuf=SIZE)\n"
            "inetd.conf:28:1: error: service: invalid name 'a+b' (a name from /etc/services "
            "or a port number)\n"
            "inetd.conf:29:1: error: host: no host in ',:'\n"
            "inetd.conf:30:1: warning: unix sockets in inetd.conf are not supported by "
            "superd; skipped (a YAML service can listen on unix:/PATH)\n");
}

TEST_F(InetdConfTest, ErrorsInContinuationLinesAreAtTheirLine) {
  EXPECT_EQ(Problems("finger stream tcp\n"
                     "  nowait\n"
                     "\tno-such-user /bin/true\n"),
            "inetd.conf:3:2: error: user: unknown user 'no-such-user'\n");
}

TEST_F(InetdConfTest, ADefaultHostProblemIsAtItsLineOnce) {
  EXPECT_EQ(Problems("no-such-host.invalid:\n"
                     "echo stream tcp nowait root internal\n"
                     "daytime stream tcp nowait root internal\n"
                     "[::1:\n"),
            "inetd.conf:1:1: error: host: unable to resolve host 'no-such-host.invalid': "
            "Name or service not known\n"
            "inetd.conf:4:1: error: host: invalid host '[::1'\n");
}

TEST_F(InetdConfTest, AnEntryWithAnErrorIsNoService) {
  const InetdConf conf = Read("finger stream tcp nowait no-such-user ${BIN}/server\n"
                              "echo stream tcp nowait root internal\n");
  EXPECT_FALSE(conf.diagnostics.empty());
  EXPECT_EQ(Names(conf), std::vector<std::string>{"echo.tcp"});
}

TEST_F(InetdConfTest, ArgumentsExecWouldRefuseAreAnErrorAtTheirField) {
  const std::string big(200 * 1024, 'a');
  EXPECT_EQ(Problems("finger stream tcp nowait root /bin/true true small " + big + "\n"),
            "inetd.conf:1:52: error: argument 2 is 204800 bytes, more than the kernel takes "
            "for one (131071, MAX_ARG_STRLEN)\n");
  EXPECT_EQ(Problems("finger stream tcp nowait root /bin/true " + big + "\n"),
            "inetd.conf:1:41: error: argv0 is 204800 bytes, more than the kernel takes for "
            "one (131071, MAX_ARG_STRLEN)\n");
}

TEST_F(InetdConfTest, ANulByteIsAnError) {
  EXPECT_EQ(Problems("# ok\necho stream tcp nowait root inter" + std::string(1, '\0') + "nal\n"),
            "inetd.conf:2:34: error: a NUL byte: not a text file\n");
}

// Found by fuzzing: argv[0] of a disabled entry whose program is a
// directory was empty.
TEST_F(InetdConfTest, AProgramPathEndingInASlashIsItsOwnArgv0) {
  EXPECT_EQ(One("#<off># telnet stream tcp nowait root /usr/\n").argv0, "/usr/");
}

// The bounds of a YAML table hold for an inetd.conf too.
TEST_F(InetdConfTest, AFileLargerThan16MiBIsRefused) {
  const std::string huge = "#" + std::string(16 << 20, 'x') + "\n";
  EXPECT_EQ(Problems(huge), "inetd.conf:1:1: error: the file is " +
                                std::to_string(huge.size()) + " bytes, more than 16 MiB\n");
}

TEST_F(InetdConfTest, MoreThan100000EntriesAreRefused) {
  std::string text;
  for (int i = 0; i <= 100'000; ++i) text += "#<off># " + std::to_string(i % 60000 + 1) + "\n";
  EXPECT_EQ(Problems(text), "inetd.conf:100001:9: error: 100001 entries, more than 100000\n");
}

}  // namespace
}  // namespace superd
