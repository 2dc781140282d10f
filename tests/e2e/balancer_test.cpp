// Real load balancers in front of superd (issue 12 item 3): Debian's
// HAProxy with send-proxy-v2 (health checks through check-send-proxy, v2
// LOCAL headers) and with send-proxy (v1), and nginx's stream module with
// proxy_protocol on, each in front of superd processes on other loopback
// addresses: the client's own address reaches the program, deny is checked
// against it, both backends serve, and health checks spawn nothing; and
// what becomes of a cloud balancer's health check, which has no header.
//
// The balancers are Debian's binaries, unpacked by `make test-peers` into
// BUILD/test-peers (never installed: their packages would start a system
// HAProxy or nginx), or the system's own when installed; without either
// the tests skip, saying so. Each runs in the foreground as a child of the
// test, on a configuration written into its scratch directory, and is
// stopped by pid.
//
// Addresses: the balancer on 127.0.0.5 (nginx 127.0.0.8), binding its
// connections to the backends to that address (`source`, `proxy_bind`),
// which is what proxy_from trusts; the superds on 127.0.0.6 and 127.0.0.7;
// clients bound to 127.0.0.10 (served) and 127.0.0.9 (denied).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

const std::string kBalancer = "127.0.0.5";
const std::string kNginx = "127.0.0.8";
const std::string kBackendA = "127.0.0.6";
const std::string kBackendB = "127.0.0.7";
const std::string kClient = "127.0.0.10";
const std::string kDenied = "127.0.0.9";

std::string Str(long n) { return std::to_string(n); }

// A file of a balancer's Debian package: below BUILD/test-peers (make
// test-peers) or, failing that, the system's. Empty when neither exists.
std::string PeerFile(const std::string& path) {
  for (const std::string& root : {std::string(SUPERD_TEST_PEERS_DIR), std::string()}) {
    const std::string p = root + path;
    if (access(p.c_str(), R_OK) == 0) return p;
  }
  return "";
}

// Why `binary` cannot be used here, or nothing: it is missing, or does not
// even run `binary version_flag` (a library missing, say).
std::optional<std::string> Unusable(const std::string& what, const std::string& binary,
                                    const std::string& version_flag, const std::string& dir) {
  if (binary.empty())
    return "no " + what + " binary: neither " SUPERD_TEST_PEERS_DIR " (make test-peers) nor the "
           "system has one";
  const RunResult r = RunCommand({binary, version_flag}, dir);
  if (!r.exited || r.exit_code != 0)
    return binary + " " + version_flag + " fails (make test-deps installs its libraries): " +
           r.out + r.err;
  return std::nullopt;
}

// Whether a TCP socket listens on ip:port (/proc/net/tcp).
bool Listening(const std::string& ip, uint16_t port) {
  in_addr a{};
  inet_pton(AF_INET, ip.c_str(), &a);
  char local[32];
  std::snprintf(local, sizeof local, "%08X:%04X", a.s_addr, port);  // as the kernel prints it
  std::istringstream in(ReadFile("/proc/net/tcp"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, loc, rem, st;
    if (fields >> sl >> loc >> rem >> st && loc == local && st == "0A") return true;  // LISTEN
  }
  return false;
}

// A load balancer run in the foreground as a child of the test, in a
// scratch directory of its own (configuration, stdout and stderr), stopped
// by pid. On a failure its output is printed and the directory kept.
class Balancer {
 public:
  explicit Balancer(const std::string& name) : name_(name) {
    std::string templ = (std::filesystem::temp_directory_path() / ("superd-" + name + "-XXXXXX"));
    if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    dir_ = templ;
    log_path_ = dir_ + "/" + name + ".log";
  }
  ~Balancer() {
    Stop();
    if (::testing::Test::HasFailure())
      std::cerr << "---- " << name_ << " output (" << log_path_ << ") ----\n"
                << ReadFile(log_path_) << "---- end of " << name_ << " output; files kept in "
                << dir_ << " ----\n";
    else
      std::filesystem::remove_all(dir_);
  }
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  const std::string& dir() const { return dir_; }
  std::string Write(const std::string& file, const std::string& text) {
    const std::string path = dir_ + "/" + file;
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }

  // Starts `argv` and waits until it listens on ip:port.
  ::testing::AssertionResult Start(const std::vector<std::string>& args, const std::string& ip,
                                   uint16_t port) {
    std::vector<std::string> a = args;
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int out = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || null_fd < 0) return ::testing::AssertionFailure() << "cannot open " << log_path_;
    const char* dir = dir_.c_str();
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(null_fd, 0);
      dup2(out, 1);
      dup2(out, 2);
      if (chdir(dir) != 0) _exit(126);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out);
    close(null_fd);
    if (pid_ < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
    const bool up = WaitUntil([&] { return Listening(ip, port) || Exited(); });
    if (up && !Exited()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << name_ << " is not listening on " << ip << ":" << port << "; its output:\n"
           << ReadFile(log_path_);
  }

  // SIGTERM (both HAProxy and nginx stop at once on it), SIGKILL if it is
  // still there after kTimeout.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (!WaitUntil([&] { return Exited(); })) {
      ADD_FAILURE() << name_ << " (pid " << pid_ << ") did not stop on SIGTERM; killing it";
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  bool Exited() {
    if (pid_ <= 0) return true;
    return waitpid(pid_, nullptr, WNOHANG) == pid_;
  }

  std::string name_, dir_, log_path_;
  pid_t pid_ = -1;
};

// A TCP connection from `source` to ip:port, read to its end. The client
// sends nothing (the contract helper reports and exits); with `hang_up`,
// it closes its side at once, as a TCP health check does.
ReadResult Visit(const std::string& source, const std::string& ip, uint16_t port,
                 bool hang_up = false) {
  sockaddr_storage local, remote;
  socklen_t local_len, remote_len;
  if (!FillInet(source, 0, &local, &local_len) || !FillInet(ip, port, &remote, &remote_len))
    return {};
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), local_len) != 0) {
    ADD_FAILURE() << "bind " << source << ": " << std::strerror(errno);
    return {};
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), remote_len) != 0) {
    ADD_FAILURE() << "connect from " << source << " to " << ip << ":" << port << ": "
                  << std::strerror(errno);
    return {};
  }
  if (hang_up) shutdown(fd.get(), SHUT_WR);
  return ReadAll(fd.get());
}

// The counters of `service`'s SIGUSR1 statistics line (superd(8)), freshly
// asked for.
std::map<std::string, long> Stats(Superd& superd, const std::string& service) {
  const std::string line_re = "info: " + service + ": state=";
  const size_t before = superd.CountLog(line_re);
  if (kill(superd.pid(), SIGUSR1) != 0 || !superd.WaitForLogCount(line_re, before + 1)) {
    ADD_FAILURE() << "no statistics from superd " << superd.pid();
    return {};
  }
  std::string last;
  for (const std::string& line : superd.LogLines())
    if (line.find(line_re) != std::string::npos) last = line;
  std::map<std::string, long> counters;
  const std::regex counter(" ([a-z_]+)=([0-9]+)");
  for (std::sregex_iterator i(last.begin(), last.end(), counter), end; i != end; ++i)
    counters[(*i)[1]] = std::stol((*i)[2]);
  return counters;
}

class Balancers : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_port_ = PickPort();
    front_port_ = PickPort();
  }

  // superd on `ip`:backend_port_ running the contract helper behind the
  // balancer at `balancer`, with env BACKEND=`name`.
  void StartBackend(Superd& superd, const std::string& ip, const std::string& name,
                    const std::string& balancer) {
    superd.WriteTable("services:\n  behind:\n    listen: \"" + ip + ":" + Str(backend_port_) +
                      "\"\n    program: " + HelperBinary("contract") +
                      "\n    proxy_protocol: true\n    proxy_from: [\"" + balancer +
                      "/32\"]\n    deny: [\"" + kDenied + "/32\"]\n    env: {BACKEND: " + name +
                      "}\n");
    ASSERT_TRUE(superd.Start());
  }

  // HAProxy on kBalancer:front_port_ in front of a_ and b_, each `server`
  // line ending in `server_options`.
  void StartHaproxy(const std::string& server_options) {
    const std::string haproxy = PeerFile("/usr/sbin/haproxy");
    if (auto why = Unusable("haproxy", haproxy, "-v", haproxy_.dir())) GTEST_SKIP() << *why;
    StartBackend(a_, kBackendA, "a", kBalancer);
    StartBackend(b_, kBackendB, "b", kBalancer);
    const std::string cfg = haproxy_.Write("haproxy.cfg", Subst(R"(global
  maxconn 256
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend front
  bind ${BALANCER}:${FRONT}
  default_backend superds
backend superds
  balance roundrobin
  source ${BALANCER}
  server a ${A}:${PORT} ${OPTIONS}
  server b ${B}:${PORT} ${OPTIONS}
)", {{"BALANCER", kBalancer}, {"FRONT", Str(front_port_)}, {"A", kBackendA},
     {"B", kBackendB}, {"PORT", Str(backend_port_)}, {"OPTIONS", server_options}}));
    ASSERT_TRUE(haproxy_.Start({haproxy, "-f", cfg, "-db"}, kBalancer, front_port_));
  }

  // The client from kClient is served with its own address; one from
  // kDenied gets its connection closed without a report; then `n` more
  // clients from kClient, each counted by the backend that served it.
  void CheckClients(const std::string& front, int n) {
    const Report r = ParseReport(Visit(kClient, front, front_port_).data);
    ASSERT_TRUE(r.count("env:TCPREMOTEIP")) << "no report";
    EXPECT_EQ(r.at("env:TCPREMOTEIP"), kClient);
    EXPECT_EQ(r.at("env:REMOTE_ADDR"), kClient);
    EXPECT_EQ(r.at("env:PROXY_ADDR"), front);
    EXPECT_EQ(r.at("env:TCPLOCALIP"), front);  // the address the client connected to
    EXPECT_EQ(r.at("env:TCPLOCALPORT"), Str(front_port_));
    ++served_[r.at("env:BACKEND")];

    const ReadResult denied = Visit(kDenied, front, front_port_);
    EXPECT_TRUE(denied.eof);
    EXPECT_EQ(denied.data, "") << "a denied client got a report";

    for (int i = 0; i < n; ++i) {
      const Report ri = ParseReport(Visit(kClient, front, front_port_).data);
      if (!ri.count("env:BACKEND")) {
        ADD_FAILURE() << "connection " << i << " got no report";
        continue;
      }
      EXPECT_EQ(ri.at("env:TCPREMOTEIP"), kClient);
      ++served_[ri.at("env:BACKEND")];
    }
  }

  // CheckClients through `front`, then each backend's stats (`sa`, `sb`):
  // both served, each spawned for its clients only, and the denied client
  // counted once, in refused_acl.
  void ServeThroughBoth(const std::string& front, int n, std::map<std::string, long>* sa,
                        std::map<std::string, long>* sb) {
    CheckClients(front, n);
    EXPECT_EQ(served_["a"] + served_["b"], n + 1);
    EXPECT_GT(served_["a"], 0);
    EXPECT_GT(served_["b"], 0);
    CheckSpawns(a_, "a", sa);
    CheckSpawns(b_, "b", sb);
    EXPECT_EQ((*sa)["refused_acl"] + (*sb)["refused_acl"], 1) << "the denied client";
  }

  // What a backend's instances were: one per client it served, none for
  // the denied client (counted in refused_acl) or a health check.
  void CheckSpawns(Superd& superd, const std::string& name, std::map<std::string, long>* s) {
    ASSERT_TRUE(WaitUntil([&] {
      *s = Stats(superd, "behind");
      return (*s)["running"] == 0;
    }));
    EXPECT_EQ((*s)["spawned"], served_[name]) << "backend " << name;
    EXPECT_EQ((*s)["failed"], 0);
  }

  uint16_t backend_port_ = 0, front_port_ = 0;
  Superd a_, b_;
  Balancer haproxy_{"haproxy"};
  std::map<std::string, long> served_;  // backend name -> clients served
};

TEST_F(Balancers, HaproxySendProxyV2PassesTheClientAndItsChecksAreLocalHeadersThatSpawnNothing) {
  ASSERT_NO_FATAL_FAILURE(
      StartHaproxy("send-proxy-v2 check check-send-proxy inter 200ms fall 2 rise 1"));
  if (IsSkipped()) return;
  // HAProxy's first checks (v2 LOCAL headers) reach both.
  ASSERT_TRUE(WaitUntil([&] { return Stats(a_, "behind")["health_checks"] >= 1; }));
  ASSERT_TRUE(WaitUntil([&] { return Stats(b_, "behind")["health_checks"] >= 1; }));

  std::map<std::string, long> sa, sb;
  ServeThroughBoth(kBalancer, 20, &sa, &sb);
  EXPECT_EQ(sa["refused_proxy"] + sb["refused_proxy"], 0);
  // The checks go on, every 200 ms, and still spawn nothing.
  const auto checks = [](Superd& s) { return Stats(s, "behind")["health_checks"]; };
  EXPECT_TRUE(WaitUntil([&] { return checks(a_) >= sa["health_checks"] + 2; }));
  EXPECT_TRUE(WaitUntil([&] { return checks(b_) >= sb["health_checks"] + 2; }));
  EXPECT_EQ(Stats(a_, "behind")["spawned"], served_["a"]);
  EXPECT_EQ(Stats(b_, "behind")["spawned"], served_["b"]);
  EXPECT_EQ(Stats(a_, "behind")["refused_proxy"], 0);
}

// v1 has no LOCAL command. HAProxy's plain TCP check (`check port N`, which
// sends no PROXY header) resets the connection on the SYN-ACK without ever
// completing the handshake, so superd never even accepts it: nothing is
// spawned, counted or logged, and both servers are up.
TEST_F(Balancers, HaproxySendProxyV1PassesTheClientAndItsPlainTcpChecksNeverReachSuperd) {
  ASSERT_NO_FATAL_FAILURE(StartHaproxy(
      "send-proxy check port " + Str(backend_port_) + " inter 200ms fall 2 rise 1"));
  if (IsSkipped()) return;
  std::this_thread::sleep_for(600ms);  // a few checks
  std::map<std::string, long> sa, sb;
  ServeThroughBoth(kBalancer, 20, &sa, &sb);
  EXPECT_EQ(sa["health_checks"] + sb["health_checks"], 0);
  // A check that did complete its handshake (a very slow HAProxy) would
  // be a connection closed before the end of its PROXY header: refused
  // and counted in refused_proxy, never spawned.
  EXPECT_LE(sa["refused_proxy"] + sb["refused_proxy"], 2);
  EXPECT_EQ(a_.CountLog("connection from " + kBalancer), 0u);
}

// The trap that the documentation warns about: with send-proxy (v1) and a
// `check` without port or addr, HAProxy sends its checks a v1 header too,
// "PROXY UNKNOWN", which by the protocol means "use the connection's own
// addresses": superd serves it as a client, the balancer itself, spawning
// the program for every check.
TEST_F(Balancers, HaproxySendProxyV1ChecksWithTheirImpliedHeaderSpawnTheProgramAsTheBalancer) {
  ASSERT_NO_FATAL_FAILURE(StartHaproxy("send-proxy check inter 200ms fall 2 rise 1"));
  if (IsSkipped()) return;
  EXPECT_TRUE(a_.WaitForLog("info: behind: connection from 127\\.0\\.0\\.5:[0-9]+, pid"));
  EXPECT_TRUE(WaitUntil([&] { return Stats(b_, "behind")["spawned"] >= 2; }));
  EXPECT_EQ(Stats(a_, "behind")["health_checks"], 0);
}

TEST_F(Balancers, NginxStreamProxyProtocolPassesTheClient) {
  const std::string nginx = PeerFile("/usr/sbin/nginx");
  const std::string module = PeerFile("/usr/lib/nginx/modules/ngx_stream_module.so");
  Balancer balancer("nginx");
  if (auto why = Unusable("nginx", nginx, "-v", balancer.dir())) GTEST_SKIP() << *why;
  if (module.empty())
    GTEST_SKIP() << "no nginx stream module (libnginx-mod-stream): neither "
                 << SUPERD_TEST_PEERS_DIR << " (make test-peers) nor the system has one";
  StartBackend(a_, kBackendA, "a", kNginx);
  StartBackend(b_, kBackendB, "b", kNginx);
  // master_process off: one process, stopped by its pid (a test setting,
  // not one for production).
  const std::string conf = balancer.Write("nginx.conf", Subst(R"(load_module ${MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${DIR}/nginx.pid;
error_log ${DIR}/error.log info;
events {
  worker_connections 64;
}
stream {
  upstream superds {
    server ${A}:${PORT};
    server ${B}:${PORT};
  }
  server {
    listen ${NGINX}:${FRONT};
    proxy_pass superds;
    proxy_protocol on;
    proxy_bind ${NGINX};
  }
}
)", {{"MODULE", module}, {"DIR", balancer.dir()}, {"A", kBackendA}, {"B", kBackendB},
     {"PORT", Str(backend_port_)}, {"NGINX", kNginx}, {"FRONT", Str(front_port_)}}));
  ASSERT_TRUE(balancer.Start({nginx, "-p", balancer.dir(), "-e", balancer.dir() + "/error.log",
                              "-c", conf},
                             kNginx, front_port_));
  std::map<std::string, long> sa, sb;
  ServeThroughBoth(kNginx, 4, &sa, &sb);
  EXPECT_EQ(sa["refused_proxy"] + sb["refused_proxy"], 0);
}

// A cloud load balancer's TCP health check (AWS NLB, GCP, Azure) connects
// without a PROXY header and closes: on the proxy_protocol port it is
// refused and counted in refused_proxy, with a warning, every time. The
// documented way: a port of its own without proxy_protocol, allowed to the
// balancer only, whose program proves that superd spawns.
TEST_F(Balancers, ACloudBalancersHeaderlessHealthCheckIsRefusedSoItGetsAPortOfItsOwn) {
  const uint16_t health_port = PickPort();
  a_.WriteTable("services:\n  behind:\n    listen: \"" + kBackendA + ":" + Str(backend_port_) +
                "\"\n    program: /bin/cat\n    proxy_protocol: true\n    proxy_from: [\"" +
                kBalancer + "/32\"]\n  health:\n    listen: \"" + kBackendA + ":" +
                Str(health_port) + "\"\n    program: /bin/true\n    allow: [\"" + kBalancer +
                "/32\"]\n");
  ASSERT_TRUE(a_.Start());
  for (int i = 0; i < 2; ++i) {
    const ReadResult r = Visit(kBalancer, kBackendA, backend_port_, true);
    EXPECT_TRUE(r.eof && r.data.empty());
  }
  EXPECT_TRUE(a_.WaitForLog("warning: behind: refused connection from 127\\.0\\.0\\.5:[0-9]+: "
                            "closed before the end of its PROXY header"));
  std::map<std::string, long> s = Stats(a_, "behind");
  EXPECT_EQ(s["refused_proxy"], 2);
  EXPECT_EQ(s["spawned"], 0);
  EXPECT_EQ(s["health_checks"], 0);

  const ReadResult h = Visit(kBalancer, kBackendA, health_port, true);
  EXPECT_TRUE(h.eof && h.data.empty());
  EXPECT_TRUE(WaitUntil([&] { return Stats(a_, "health")["spawned"] == 1; }));
  EXPECT_EQ(Stats(a_, "health")["refused"], 0);
}

}  // namespace
}  // namespace e2e
