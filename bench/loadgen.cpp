// loadgen - the benchmark's load generator: connections without keep-alive,
// so that one connection is one process of the server under test.
//
//   loadgen [-c CONCURRENCY] [-d SECONDS | -n CONNECTIONS] [-s REQUEST]
//           [-m MIN_BYTES] [-t TIMEOUT_MS] [-H] [--expect-close]
//           [--source IP | --source-range FIRST-LAST] [--proxy-v2] HOST:PORT
//
// It keeps CONCURRENCY connections in flight with epoll: a non-blocking
// connect, optionally a small request, read until EOF, close, repeat. The
// latency of a connection runs from the start of connect() to EOF. At the
// end it prints one line of KEY=VALUE pairs:
//
//   loadgen target=127.0.0.1:19100 c=32 window_s=3.000 conns=15012
//     total=15040 cps=5004.0 p50_us=5870 p90_us=... p99_us=9120 max_us=...
//     errors=0 err_connect=0 err_reset=0 err_timeout=0 err_empty=0
//     err_reply=0 err_other=0 bytes=105280
//
// With -d the window is SECONDS: `conns` completed inside it, `cps` is
// conns / window; connections still in flight at the end are drained (up to
// the timeout) and counted in `total` and in the latency percentiles (the
// slow ones are the ones most likely to be in flight, so dropping them would
// flatter p99). With -n it starts exactly N connections and the window runs
// until the last one ends. A connection that ends with fewer than MIN_BYTES
// (default 1) is an error (err_empty): the server closed it without running
// the program. Exit status 0 if the run completed (errors or not), 2 for a
// usage error. -H adds a second line, a latency histogram in power-of-two
// buckets: `loadgen-histogram le_us:COUNT ...` (connections that took at
// most that many microseconds and more than the previous bucket's).
//
// --expect-close turns it round, for measuring refusals: a connection that
// the server closes (EOF or reset) without sending a byte is the success,
// and one that gets a reply is an error (err_reply). --source IP binds every
// client socket to IP before connect() (a loopback address such as
// 127.0.0.2, for a client that an allow/deny list refuses); --source-range
// FIRST-LAST (IPv4) gives each new connection the next address of the range,
// from FIRST, wrapping after LAST: distinct sources for per-source state.
// The port is still chosen at connect() (IP_BIND_ADDRESS_NO_PORT).
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void Usage(const char* why) {
  if (why) fprintf(stderr, "loadgen: %s\n", why);
  fprintf(stderr,
          "usage: loadgen [-c CONCURRENCY] [-d SECONDS | -n CONNECTIONS] "
          "[-s REQUEST] [-m MIN_BYTES] [-t TIMEOUT_MS] [-H] [--expect-close] "
          "[--source IP | --source-range FIRST-LAST] [--proxy-v2] HOST:PORT\n");
  exit(2);
}

struct Slot {
  int fd = -1;
  int64_t start_ns = 0;
  size_t bytes = 0;
  bool sent = false;
};

struct Stats {
  uint64_t in_window = 0, total = 0, bytes = 0;
  uint64_t err_connect = 0, err_reset = 0, err_timeout = 0, err_empty = 0,
           err_reply = 0, err_other = 0;
  std::vector<uint32_t> latency_us;
  uint64_t Errors() const {
    return err_connect + err_reset + err_timeout + err_empty + err_reply + err_other;
  }
};

// Where client sockets are bound before connect(): nowhere (the kernel
// picks), one address, or the next of a range of IPv4 addresses (host
// order, inclusive), one per connection.
struct SourcePlan {
  enum Kind { kAny, kOne, kRange } kind = kAny;
  sockaddr_storage one{};
  socklen_t one_len = 0;
  uint32_t first = 0, last = 0, next = 0;
};

class Generator {
 public:
  Generator(const sockaddr_storage& addr, socklen_t addr_len, int concurrency,
            std::string request, size_t min_bytes, int64_t timeout_ns,
            bool expect_close, SourcePlan source)
      : addr_(addr),
        addr_len_(addr_len),
        slots_(concurrency),
        request_(std::move(request)),
        min_bytes_(min_bytes),
        timeout_ns_(timeout_ns),
        expect_close_(expect_close),
        source_(source) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      perror("loadgen: epoll_create1");
      exit(1);
    }
    stats_.latency_us.reserve(1 << 20);
  }

  // Runs until `deadline_ns` (duration mode) or until `limit` connections
  // have been started (count mode), then drains what is in flight.
  void Run(int64_t deadline_ns, uint64_t limit) {
    start_ns_ = NowNs();
    deadline_ns_ = deadline_ns;
    limit_ = limit;
    for (size_t i = 0; i < slots_.size(); ++i) StartNext(i);
    std::vector<epoll_event> events(slots_.size() + 1);
    int64_t next_sweep = start_ns_ + 50'000'000;
    while (in_flight_ > 0) {
      int64_t now = NowNs();
      int wait_ms = 50;
      if (deadline_ns_ > 0 && !stopped_) {
        if (now >= deadline_ns_) {
          stopped_ = true;
        } else {
          wait_ms = std::min<int64_t>(wait_ms, (deadline_ns_ - now) / 1'000'000 + 1);
        }
      }
      int n = epoll_wait(ep_, events.data(), events.size(), wait_ms);
      if (n < 0 && errno != EINTR) {
        perror("loadgen: epoll_wait");
        exit(1);
      }
      for (int i = 0; i < n; ++i) OnEvent(events[i].data.u32, events[i].events);
      now = NowNs();
      if (deadline_ns_ > 0 && now >= deadline_ns_) stopped_ = true;
      if (now >= next_sweep) {  // per-connection timeouts
        next_sweep = now + 50'000'000;
        for (size_t i = 0; i < slots_.size(); ++i) {
          Slot& s = slots_[i];
          if (s.fd >= 0 && now - s.start_ns > timeout_ns_) {
            ++stats_.err_timeout;
            Finish(i, false);
          }
        }
      }
    }
    end_ns_ = NowNs();
  }

  void Print(const char* target, int concurrency) {
    std::vector<uint32_t>& v = stats_.latency_us;
    std::sort(v.begin(), v.end());
    auto rank = [&v](double q) -> uint32_t {  // nearest-rank percentile
      if (v.empty()) return 0;
      size_t k = static_cast<size_t>(q * v.size() + 0.999999);
      k = std::clamp<size_t>(k, 1, v.size());
      return v[k - 1];
    };
    double window_s;
    uint64_t conns;
    if (deadline_ns_ > 0) {
      window_s = (deadline_ns_ - start_ns_) / 1e9;
      conns = stats_.in_window;
    } else {
      window_s = (last_end_ns_ > start_ns_ ? last_end_ns_ - start_ns_ : 1) / 1e9;
      conns = stats_.total;
    }
    printf(
        "loadgen target=%s c=%d window_s=%.3f elapsed_s=%.3f conns=%" PRIu64
        " total=%" PRIu64 " cps=%.1f p50_us=%u p90_us=%u p99_us=%u max_us=%u"
        " errors=%" PRIu64 " err_connect=%" PRIu64 " err_reset=%" PRIu64
        " err_timeout=%" PRIu64 " err_empty=%" PRIu64 " err_reply=%" PRIu64
        " err_other=%" PRIu64 " bytes=%" PRIu64 "\n",
        target, concurrency, window_s, (end_ns_ - start_ns_) / 1e9, conns,
        stats_.total, conns / window_s, rank(0.50), rank(0.90), rank(0.99),
        v.empty() ? 0 : v.back(), stats_.Errors(), stats_.err_connect,
        stats_.err_reset, stats_.err_timeout, stats_.err_empty,
        stats_.err_reply, stats_.err_other, stats_.bytes);
    fflush(stdout);
  }

  void PrintHistogram() const {  // after Print, which sorted the latencies
    const std::vector<uint32_t>& v = stats_.latency_us;
    printf("loadgen-histogram");
    size_t i = 0;
    for (uint64_t le = 16; i < v.size(); le *= 2) {
      size_t n = 0;
      while (i < v.size() && v[i] <= le) ++i, ++n;
      if (n) printf(" %" PRIu64 ":%zu", le, n);
    }
    printf("\n");
    fflush(stdout);
  }

 private:
  bool MayStart() const {
    if (deadline_ns_ > 0) return !stopped_;
    return started_ < limit_;
  }

  void StartNext(size_t i) {
    // An immediate failure (refused, no ports) is counted and retried at
    // once; the bound on attempts is the window or the count.
    while (MayStart()) {
      Slot& s = slots_[i];
      ++started_;
      s.bytes = 0;
      s.sent = request_.empty();
      s.start_ns = NowNs();
      s.fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s.fd < 0) {
        perror("loadgen: socket");
        exit(1);
      }
      if (source_.kind != SourcePlan::kAny && !BindSource(s.fd)) {
        close(s.fd);
        s.fd = -1;
        if (deadline_ns_ > 0 && NowNs() >= deadline_ns_) stopped_ = true;
        continue;
      }
      if (connect(s.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) < 0 &&
          errno != EINPROGRESS) {
        CountError(errno);
        close(s.fd);
        s.fd = -1;
        if (deadline_ns_ > 0 && NowNs() >= deadline_ns_) stopped_ = true;
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN | (s.sent ? 0u : uint32_t(EPOLLOUT));
      ev.data.u32 = static_cast<uint32_t>(i);
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev) < 0) {
        perror("loadgen: epoll_ctl");
        exit(1);
      }
      ++in_flight_;
      return;
    }
  }

  // Binds `fd` to the next source address; false (counted) if it fails.
  bool BindSource(int fd) {
    int on = 1;  // the port is chosen at connect(), against the destination
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    if (source_.kind == SourcePlan::kOne) {
      if (bind(fd, reinterpret_cast<const sockaddr*>(&source_.one), source_.one_len) == 0)
        return true;
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(source_.next);
      source_.next = source_.next == source_.last ? source_.first : source_.next + 1;
      if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return true;
    }
    CountError(errno);
    return false;
  }

  void CountError(int error) {
    switch (error) {
      case ECONNREFUSED:
      case EADDRNOTAVAIL:
      case ENETUNREACH:
      case EHOSTUNREACH:
        ++stats_.err_connect;
        break;
      case ECONNRESET:
      case EPIPE:
        ++stats_.err_reset;
        break;
      case ETIMEDOUT:
        ++stats_.err_timeout;
        break;
      default:
        ++stats_.err_other;
    }
  }

  void OnEvent(size_t i, uint32_t events) {
    Slot& s = slots_[i];
    if (s.fd < 0) return;
    if (!s.sent && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      ssize_t n = send(s.fd, request_.data(), request_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) return;
      if (n < 0) {
        CountError(errno);
        Finish(i, false);
        return;
      }
      s.sent = true;  // a short request fits the empty send buffer
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(i);
      epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    char buf[16384];
    for (;;) {
      ssize_t n = read(s.fd, buf, sizeof buf);
      if (n > 0) {
        s.bytes += n;
        stats_.bytes += n;
        if (expect_close_) {  // a reply: not refused
          ++stats_.err_reply;
          Finish(i, false);
          return;
        }
        continue;
      }
      if (n == 0) {
        if (expect_close_) {
          Finish(i, true);
        } else if (s.bytes < min_bytes_) {
          ++stats_.err_empty;
          Finish(i, false);
        } else {
          Finish(i, true);
        }
        return;
      }
      if (errno == EAGAIN || errno == EINTR) {
        if (errno == EAGAIN) return;
        continue;
      }
      if (expect_close_ && (errno == ECONNRESET || errno == EPIPE)) {
        Finish(i, true);  // closed without a reply, abortively
        return;
      }
      CountError(errno);
      Finish(i, false);
      return;
    }
  }

  void Finish(size_t i, bool ok) {
    Slot& s = slots_[i];
    int64_t now = NowNs();
    if (ok) {
      int64_t us = (now - s.start_ns) / 1000;
      stats_.latency_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
      ++stats_.total;
      if (deadline_ns_ <= 0 || now <= deadline_ns_) ++stats_.in_window;
      last_end_ns_ = now;
    }
    close(s.fd);  // also removes it from the epoll set
    s.fd = -1;
    --in_flight_;
    StartNext(i);
  }

  sockaddr_storage addr_;
  socklen_t addr_len_;
  std::vector<Slot> slots_;
  std::string request_;
  size_t min_bytes_;
  int64_t timeout_ns_;
  bool expect_close_;
  SourcePlan source_;
  int ep_ = -1;
  int64_t start_ns_ = 0, end_ns_ = 0, last_end_ns_ = 0, deadline_ns_ = 0;
  uint64_t limit_ = 0, started_ = 0;
  bool stopped_ = false;
  size_t in_flight_ = 0;
  Stats stats_;
};

}  // namespace

int main(int argc, char** argv) {
  int concurrency = 1;
  double seconds = 0;
  uint64_t count = 0;
  std::string request;
  size_t min_bytes = 1;
  int64_t timeout_ms = 10'000;
  bool histogram = false, expect_close = false, proxy_v2 = false;
  const char* source = nullptr;
  const char* source_range = nullptr;
  static const option kLong[] = {
      {"expect-close", no_argument, nullptr, 'E'},
      {"source", required_argument, nullptr, 'S'},
      {"source-range", required_argument, nullptr, 'R'},
      {"proxy-v2", no_argument, nullptr, 'P'},
      {nullptr, 0, nullptr, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:d:n:s:m:t:Hh", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'c': concurrency = atoi(optarg); break;
      case 'd': seconds = atof(optarg); break;
      case 'n': count = strtoull(optarg, nullptr, 10); break;
      case 's': request = optarg; break;
      case 'm': min_bytes = strtoull(optarg, nullptr, 10); break;
      case 't': timeout_ms = atoll(optarg); break;
      case 'H': histogram = true; break;
      case 'E': expect_close = true; break;
      case 'S': source = optarg; break;
      case 'R': source_range = optarg; break;
      case 'P': proxy_v2 = true; break;
      case 'h': Usage(nullptr);
      default: Usage("unknown option");
    }
  }
  if (optind + 1 != argc) Usage("expected one HOST:PORT");
  if (concurrency < 1 || concurrency > 65536) Usage("bad concurrency");
  if ((seconds > 0) == (count > 0)) Usage("give exactly one of -d SECONDS and -n CONNECTIONS");
  if (timeout_ms < 1) Usage("bad timeout");
  // --proxy-v2: every connection begins with the PROXY v2 header a load
  // balancer would send (PROXY, TCP over IPv4, 192.0.2.1:1 to
  // 192.0.2.2:2), as if the balancer cost nothing.
  if (proxy_v2)
    request = std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c"
                          "\xc0\x00\x02\x01\xc0\x00\x02\x02\x00\x01\x00\x02",
                          28) +
              request;

  std::string target = argv[optind];
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) Usage("target must be HOST:PORT");
  std::string host = target.substr(0, colon), port = target.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    fprintf(stderr, "loadgen: %s: %s\n", target.c_str(), gai_strerror(rc));
    return 2;
  }
  sockaddr_storage addr{};
  memcpy(&addr, res->ai_addr, res->ai_addrlen);
  socklen_t addr_len = res->ai_addrlen;
  freeaddrinfo(res);

  // One descriptor per connection in flight, plus a margin.
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rlim_t(concurrency) + 64) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, concurrency + 64);
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  SourcePlan plan;
  if (source && source_range) Usage("give at most one of --source and --source-range");
  if (source) {
    addrinfo shints{}, *sres = nullptr;
    shints.ai_socktype = SOCK_STREAM;
    shints.ai_family = addr.ss_family;
    shints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    if (int rc = getaddrinfo(source, nullptr, &shints, &sres); rc != 0) {
      fprintf(stderr, "loadgen: --source %s: %s\n", source, gai_strerror(rc));
      return 2;
    }
    plan.kind = SourcePlan::kOne;
    memcpy(&plan.one, sres->ai_addr, sres->ai_addrlen);
    plan.one_len = sres->ai_addrlen;
    freeaddrinfo(sres);
  }
  if (source_range) {
    std::string r = source_range;
    size_t dash = r.find('-');
    in_addr first{}, last{};
    if (dash == std::string::npos || addr.ss_family != AF_INET ||
        inet_pton(AF_INET, r.substr(0, dash).c_str(), &first) != 1 ||
        inet_pton(AF_INET, r.substr(dash + 1).c_str(), &last) != 1 ||
        ntohl(first.s_addr) > ntohl(last.s_addr))
      Usage("--source-range takes FIRST-LAST, two IPv4 addresses in order, "
            "towards an IPv4 target");
    plan.kind = SourcePlan::kRange;
    plan.first = plan.next = ntohl(first.s_addr);
    plan.last = ntohl(last.s_addr);
  }

  Generator g(addr, addr_len, concurrency, request, min_bytes,
              timeout_ms * 1'000'000, expect_close, plan);
  int64_t deadline = seconds > 0 ? NowNs() + int64_t(seconds * 1e9) : 0;
  g.Run(deadline, count);
  g.Print(target.c_str(), concurrency);
  if (histogram) g.PrintHistogram();
  return 0;
}
