// `inetd_conf` with Debian's own update-inetd (issue 11): packages add,
// disable, enable and remove their lines in /etc/inetd.conf with
// update-inetd, which cannot signal superd; superd watches the file and
// serves each change by itself, while its other services keep serving
// without a lost connection. update-inetd runs with --file on the test's
// own file and UPDATE_INETD_FAKE_IT set, so it signals and restarts
// nothing on this machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

const char* kUpdateInetd = "/usr/sbin/update-inetd";

// Debian's inetd.conf as openbsd-inetd's preinst (and superd's package)
// creates it: the section markers update-inetd --group needs.
const char* kDebianInetdConf =
    "# /etc/inetd.conf:  see inetd(8) for further informations.\n"
    "#\n"
    "# <service_name> <sock_type> <proto> <flags> <user> <server_path> <args>\n"
    "#\n"
    "#:INTERNAL: Internal services\n"
    "\n"
    "#:STANDARD: These are standard services.\n"
    "\n"
    "#:OTHER: Other services\n"
    "\n";

class UpdateInetd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kUpdateInetd, X_OK) != 0)
      GTEST_SKIP() << kUpdateInetd << " is not installed (make test installs update-inetd)";
    superd_.Watching();
    kept_ = PickPort();
    port_ = PickPort();
    conf_ = superd_.WriteFile("inetd.conf", kDebianInetdConf);
    superd_.WriteTable("inetd_conf: [\"" + conf_ + "\"]\nservices:\n" +
                       ServiceEntry("kept", "127.0.0.1:" + Str(kept_), ServiceBinary("echo")));
    // The entry a package would add: its own line, tab-separated, on a
    // loopback address of a numeric port.
    name_ = "127.0.0.1:" + Str(port_);
    line_ = name_ + "\tstream\ttcp\tnowait\troot\t" + ServiceBinary("echo") + "\techo";
  }

  // update-inetd ARGS... on the test's file; fails the test unless it exits 0.
  void Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/env", "UPDATE_INETD_FAKE_IT=1",
                                     "DEBIAN_FRONTEND=noninteractive", kUpdateInetd,
                                     "--file", conf_};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = RunCommand(argv, superd_.dir());
    ASSERT_TRUE(r.exited && r.exit_code == 0) << r.err;
  }

  Superd superd_;
  uint16_t kept_ = 0, port_ = 0;
  std::string conf_, name_, line_;
};

TEST_F(UpdateInetd, AddDisableEnableRemoveAreServedWhileAnotherServiceKeepsServing) {
  ASSERT_TRUE(superd_.Start());
  // A client of the other service, all along: not one connection lost.
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, lost{0};
  std::thread client([&] {
    while (!done) (PingReply(kept_) == "ping\n" ? served : lost)++;
  });

  Run({"--group", "OTHER", "--add", line_});
  EXPECT_TRUE(EventuallyEchoes(port_)) << superd_.Log();
  Run({"--disable", name_});
  EXPECT_TRUE(EventuallyEchoes(port_, false));
  Run({"--enable", name_});
  EXPECT_TRUE(EventuallyEchoes(port_));
  Run({"--remove", name_});
  EXPECT_TRUE(EventuallyEchoes(port_, false));

  done = true;
  client.join();
  EXPECT_GT(served, 0);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(superd_.CountLog("reload abandoned"), 0u) << superd_.Log();
}

// superd serves an inetd.conf it reads at start, beside its YAML services;
// a YAML service of an entry's name replaces the entry.
TEST(InetdConf, EntriesAreServedAndAYamlServiceReplacesTheEntryOfItsName) {
  Superd superd;
  const uint16_t entry = PickPort(), replaced = PickPort(), yaml = PickPort();
  const std::string echo = ServiceBinary("echo");
  const std::string conf = superd.WriteFile(
      "inetd.conf", std::string(kDebianInetdConf) +
                        "127.0.0.1:" + Str(entry) + "\tstream\ttcp\tnowait\troot\t" + echo +
                        "\techo\n127.0.0.1:" + Str(replaced) + "\tstream\ttcp\tnowait\troot\t" +
                        echo + "\techo\n");
  superd.WriteTable("inetd_conf: [\"" + conf + "\"]\nservices:\n" +
                    ServiceEntry(Str(replaced) + ".tcp", "127.0.0.1:" + Str(yaml), echo));
  ASSERT_TRUE(superd.Start());
  EXPECT_EQ(PingReply(entry), "ping\n");
  EXPECT_EQ(PingReply(yaml), "ping\n");
  EXPECT_EQ(PingReply(replaced), "") << "the YAML service replaced the entry";
}

// The same line as a broken table: superd does not start, and says where.
TEST(InetdConf, ABrokenEntryIsReportedAtItsFileLineAndColumn) {
  Superd superd;
  const std::string conf = superd.WriteFile(
      "inetd.conf", std::string(kDebianInetdConf) +
                        "127.0.0.1:" + Str(PickPort()) + "\tstream\ttcp\tsometimes\troot\t" +
                        ServiceBinary("echo") + "\techo\n");
  superd.WriteTable("inetd_conf: [\"" + conf + "\"]\nservices:\n");
  const RunResult r =
      RunCommand({SuperdBinary(), "--check", "-c", superd.table_path()}, superd.dir());
  EXPECT_TRUE(r.exited && r.exit_code == 1);
  EXPECT_EQ(r.err.rfind(conf + ":11:", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("sometimes"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace e2e
