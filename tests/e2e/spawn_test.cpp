// The spawn path (spawner.hpp): superd creates every program with
// clone(CLONE_VM), never fork(), whatever the size of its table, and shares
// its descriptor table with the child (CLONE_FILES) once that table is
// large. Observed from outside with strace attached to the running superd;
// the contract the programs get on each path is asserted by the contract
// tests, which CTest also runs under SUPERD_SPAWN=vfork and with a large
// table (tests/e2e/CMakeLists.txt).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

bool TracedBy(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10)) != 0;
  return false;
}

// strace attached to one superd, recording how it creates processes.
class Strace {
 public:
  Strace(pid_t target, const std::string& out) : out_(out) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string p = std::to_string(target);
      execlp("strace", "strace", "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork",
             "-o", out.c_str(), "-p", p.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (auto end = Clock::now() + kTimeout; Clock::now() < end && !TracedBy(target);)
      std::this_thread::sleep_for(10ms);
    attached_ = TracedBy(target);
  }
  ~Strace() {  // by pid; strace ends by itself when superd does
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool attached() const { return attached_; }
  std::string Finish() {
    for (auto end = Clock::now() + kTimeout; Clock::now() < end;) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    return ReadFile(out_);
  }

 private:
  std::string out_;
  pid_t pid_ = -1;
  bool attached_ = false;
};

class Spawn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (system("command -v strace >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "strace is not installed (make test installs it)";
#ifdef SUPERD_SANITIZE
    // LeakSanitizer's check at exit stops superd's threads with ptrace,
    // which fails while strace traces it (and its thread would show up as
    // one more clone): no leak check for the traced superd.
    const char* asan = std::getenv("ASAN_OPTIONS");
    setenv("ASAN_OPTIONS", (std::string(asan ? asan : "") + ":detect_leaks=0").c_str(), 1);
#endif
  }

  // Starts superd with the contract service and ballast (BallastServices),
  // traces it, makes `connections` connections, stops it; strace's output.
  std::string TraceSpawns(int sockets, int heap_mib, int connections) {
    const uint16_t port = PickPort();
    superd_.WriteTable("services:\n" +
                       ServiceEntry("contract", "127.0.0.1:" + std::to_string(port),
                                    HelperBinary("contract")) +
                       BallastServices(superd_.dir(), sockets, heap_mib));
    EXPECT_TRUE(superd_.Start());
    EXPECT_GE(ResidentMiB(superd_.pid()), size_t(heap_mib)) << "the ballast is not resident";
    Strace strace(superd_.pid(), superd_.dir() + "/strace.out");
    if (!strace.attached()) {
      ADD_FAILURE() << "strace could not attach to superd (ptrace not permitted?)";
      return "";
    }
    for (int i = 0; i < connections; ++i) {
      Fd c = ConnectTcp("127.0.0.1", port);
      const ReadResult r = ReadAll(c.get());
      EXPECT_TRUE(r.eof);
      const Report report = ParseReport(r.data);
      EXPECT_EQ(report.count("fds") ? report.at("fds") : "", "0,1,2");
      EXPECT_EQ(report.count("sigblk") ? report.at("sigblk") : "", "0000000000000000");
    }
    EXPECT_TRUE(superd_.WaitForLogCount("exited with status 0", connections));
    EXPECT_TRUE(superd_.Stop());
    return strace.Finish();
  }

  // Lines of `trace` in which superd (the first pid) creates a process.
  static std::vector<std::string> Creations(const std::string& trace) {
    std::vector<std::string> lines;
    std::istringstream in(trace);
    for (std::string line; std::getline(in, line);)
      if (std::regex_search(line, std::regex(R"(\b(clone3?|v?fork)\()"))) lines.push_back(line);
    return lines;
  }

  Superd superd_;
};

TEST_F(Spawn, SmallTableClonesWithSharedMemoryNeverFork) {
  const auto lines = Creations(TraceSpawns(0, 0, 3));
  ASSERT_GE(lines.size(), 3u) << "no process creation seen";
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("CLONE_VM"), std::string::npos) << line;
    EXPECT_EQ(line.find("CLONE_VFORK"), std::string::npos) << line;
    EXPECT_EQ(line.find("CLONE_FILES"), std::string::npos) << line;
  }
}

// A superd with a large table and 256 MiB resident still creates each
// program without copying its memory or its descriptor table.
TEST_F(Spawn, LargeTableAndHeapAlsoShareTheDescriptorTable) {
  const auto lines = Creations(TraceSpawns(300, 256, 3));
  ASSERT_GE(lines.size(), 3u) << "no process creation seen";
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("CLONE_VM"), std::string::npos) << line;
    EXPECT_NE(line.find("CLONE_FILES"), std::string::npos) << line;
  }
}

TEST_F(Spawn, VforkKnobWaitsForEachExec) {
  setenv("SUPERD_SPAWN", "vfork", 1);
  const auto lines = Creations(TraceSpawns(0, 0, 2));
  unsetenv("SUPERD_SPAWN");
  ASSERT_GE(lines.size(), 2u) << "no process creation seen";
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("CLONE_VM"), std::string::npos) << line;
    EXPECT_NE(line.find("CLONE_VFORK"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace e2e
