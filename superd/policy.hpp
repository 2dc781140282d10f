// Admission: the admission policy of one service (superd.yaml(5),
// "Protecting a service"), decided before anything is spawned. Given the
// service's Policy, a client address and a Clock it answers: go ahead,
// refuse (with the reason), or wait until a time (rate_limit). It is told
// when an admitted instance ends, so that a per-source slot is freed however
// the instance ended.
//
// Pure: no I/O, no logging, no system calls; time comes from the Clock, so
// that tests drive buckets and pauses without sleeping. Per-source state
// exists only for sources with a running instance or a bucket not yet full
// again: memory follows the active clients, not every address ever seen.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "table.hpp"

namespace superd {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::nanoseconds d) { now_ += d; }

 private:
  TimePoint now_ = TimePoint() + std::chrono::hours(1);
};

// A client as per-source limits count it: its address cut to
// `source_prefix`, or, on a UNIX socket, its uid.
struct Source {
  enum Kind : uint8_t { kNone, kIpv4, kIpv6, kUid };
  Kind kind = kNone;
  uint8_t prefix = 0;
  std::array<uint8_t, 16> bytes{};  // masked; a uid in bytes[0..3]

  static Source Of(const sockaddr* client, uid_t peer_uid, const SourcePrefix& prefix);
  // "127.0.0.1", "10.1.2.0/24", "2001:db8::/64", "uid 1000".
  std::string ToString() const;
  bool operator==(const Source&) const = default;
};

struct SourceHash {
  size_t operator()(const Source& s) const;
};

// kProxy: a proxy_protocol connection from a peer not in `proxy_from`, or
// without a valid PROXY header in time.
enum class Refusal : uint8_t { kNone, kAcl, kPerSource, kRatePerSource, kProxy };
inline constexpr int kRefusalKinds = 5;
// "acl", "per_source", "rate_per_source", "proxy": the names in stats and
// logs.
const char* RefusalName(Refusal r);

struct Verdict {
  Refusal refusal = Refusal::kNone;  // kNone: admitted
  std::string_view rule;             // kAcl: the deny rule, or empty: not
                                     // in `allow`
  Source source;
  bool counted = false;              // admitted and counted: call Ended()
  bool admitted() const { return refusal == Refusal::kNone; }
};

// Why `verdict` refused its client, for the log: "not in allow", "deny
// RULE", "max_per_source (N) reached for SOURCE", "rate_limit_per_source
// (N per X.XXXs) exceeded by SOURCE".
std::string Describe(const Verdict& verdict, const Policy& policy);

class Admission {
 public:
  static inline const Policy kNoPolicy{};
  using TimePoint = Clock::TimePoint;
  explicit Admission(const Clock& clock) : clock_(clock) {}

  // Takes the service's policy: at start and at every reload; it must live
  // until the next call (a table's Service does). Instances already counted
  // stay counted; buckets whose rate changed start full. Returns true when
  // that ended a rate_limit pause.
  bool Configure(const Policy& policy);

  // rate_limit: nullopt while the service may start an instance; else the
  // time it may accept again. `new_pause` is set when this call began an
  // episode (to be logged once): a pause that follows the end of the last
  // one within the rate's period continues its episode.
  std::optional<TimePoint> PausedUntil(bool* new_pause = nullptr);

  // Whether rate_limit has a token for one more instance now (no pause
  // begins: PausedUntil() starts one once a client is found waiting).
  bool HasToken() const;

  // proxy_protocol: whether `peer`, the host that connected, is a load
  // balancer of `proxy_from`, trusted to say who the client is (kProxy
  // when not). Decided before a byte is read.
  Verdict CheckBalancer(const sockaddr* peer) const;

  // A client that wants an instance: `allow`/`deny`, then max_per_source,
  // then rate_limit_per_source (so that a client refused by max_per_source
  // spends no token). An admitted client takes a
  // token of rate_limit and, where per-source limits are set, is counted
  // against its source until Ended(). `client` may be null (no address:
  // a wait service's stream socket), an AF_UNIX peer (limits count its
  // uid; `allow`/`deny` do not apply) or AF_INET/AF_INET6.
  Verdict Admit(const sockaddr* client, uid_t peer_uid = 0);

  // An admitted, counted instance has ended (however it ended).
  void Ended(const Source& source);

  // Forgets the sources that are idle and whose bucket is full again.
  void Sweep();
  // When the next idle source's bucket is full again (Sweep then).
  std::optional<TimePoint> NextExpiry() const {
    if (expiries_.empty()) return std::nullopt;
    return expiries_.front().first;
  }

  size_t sources() const { return sources_.size(); }
  uint64_t pauses() const { return pauses_; }  // episodes

 private:
  // A token bucket as a "theoretical arrival time" (GCRA): full once the
  // clock reaches `tat`; a token may be taken while tat + interval - now
  // stays within burst * interval.
  struct Bucket {
    TimePoint tat{};
    bool Take(TimePoint now, std::chrono::nanoseconds interval, int64_t burst);
    TimePoint NextToken(std::chrono::nanoseconds interval, int64_t burst) const;
  };
  struct SourceState {
    int running = 0;
    Bucket bucket;
  };
  static std::chrono::nanoseconds Interval(const Rate& rate);
  bool Counts() const {
    return policy_->max_per_source > 0 || !policy_->rate_limit_per_source.off();
  }
  Verdict CheckAcl(const sockaddr* client) const;
  void Forget(Source source, const SourceState& state, TimePoint now);

  const Clock& clock_;
  const Policy* policy_ = &kNoPolicy;
  Rate rate_limit_, rate_limit_per_source_;  // as configured: what changed?
  Bucket service_bucket_;
  TimePoint paused_until_{};
  uint64_t pauses_ = 0;
  std::unordered_map<Source, SourceState, SourceHash> sources_;
  // Idle sources whose bucket fills at the time given: forgotten then. A
  // min-heap (std::push_heap) in a vector, so that its memory can be
  // given back once a crowd of sources has gone.
  using Expiry = std::pair<TimePoint, Source>;
  struct Later {
    bool operator()(const Expiry& a, const Expiry& b) const { return a.first > b.first; }
  };
  std::vector<Expiry> expiries_;
  void ShrinkIfIdle();
};

}  // namespace superd
