#include "policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace superd {
namespace {

void Mask(std::array<uint8_t, 16>& bytes, int prefix, int bits) {
  for (int bit = prefix; bit < bits; ++bit)
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
}

}  // namespace

Source Source::Of(const sockaddr* client, uid_t peer_uid,
                  const SourcePrefix& prefix) {
  Source s;
  if (client == nullptr) return s;
  if (client->sa_family == AF_UNIX) {
    s.kind = kUid;
    std::memcpy(s.bytes.data(), &peer_uid, sizeof peer_uid);
    return s;
  }
  const uint8_t* v4 = nullptr;
  if (client->sa_family == AF_INET) {
    v4 = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(client)->sin_addr);
  } else if (client->sa_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6*>(client)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      v4 = a6.s6_addr + 12;
    } else {
      s.kind = kIpv6;
      s.prefix = static_cast<uint8_t>(prefix.ipv6);
      std::memcpy(s.bytes.data(), a6.s6_addr, 16);
      Mask(s.bytes, prefix.ipv6, 128);
      return s;
    }
  } else {
    return s;
  }
  s.kind = kIpv4;
  s.prefix = static_cast<uint8_t>(prefix.ipv4);
  std::memcpy(s.bytes.data(), v4, 4);
  Mask(s.bytes, prefix.ipv4, 32);
  return s;
}

std::string Source::ToString() const {
  if (kind == kNone) return "-";
  if (kind == kUid) {
    uid_t uid;
    std::memcpy(&uid, bytes.data(), sizeof uid);
    return "uid " + std::to_string(uid);
  }
  char text[INET6_ADDRSTRLEN];
  const bool v4 = kind == kIpv4;
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return prefix == (v4 ? 32 : 128) ? text : std::string(text) + "/" + std::to_string(prefix);
}

size_t SourceHash::operator()(const Source& s) const {
  uint64_t h = 1469598103934665603ull ^ (s.kind << 8 | s.prefix);  // FNV-1a
  for (uint8_t b : s.bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

const char* RefusalName(Refusal r) {
  switch (r) {
    case Refusal::kAcl: return "acl";
    case Refusal::kPerSource: return "per_source";
    case Refusal::kRatePerSource: return "rate_per_source";
    case Refusal::kProxy: return "proxy";
    default: return "none";
  }
}

std::string Describe(const Verdict& v, const Policy& p) {
  char text[160];
  switch (v.refusal) {
    case Refusal::kAcl:
      return v.rule.empty() ? "not in allow" : "deny " + std::string(v.rule);
    case Refusal::kProxy:
      return "not a load balancer in proxy_from";
    case Refusal::kPerSource:
      snprintf(text, sizeof text, "max_per_source (%d) reached for %s", p.max_per_source,
               v.source.ToString().c_str());
      return text;
    case Refusal::kRatePerSource:
      snprintf(text, sizeof text, "rate_limit_per_source (%lld per %.3fs) exceeded by %s",
               p.rate_limit_per_source.count, p.rate_limit_per_source.per.count() / 1000.0,
               v.source.ToString().c_str());
      return text;
    default:
      return "admitted";
  }
}

bool Admission::Bucket::Take(TimePoint now, std::chrono::nanoseconds interval,
                             int64_t burst) {
  const TimePoint t = std::max(tat, now);
  if (t + interval - now > burst * interval) return false;
  tat = t + interval;
  return true;
}

Admission::TimePoint Admission::Bucket::NextToken(std::chrono::nanoseconds interval,
                                                  int64_t burst) const {
  return tat + interval - burst * interval;
}

std::chrono::nanoseconds Admission::Interval(const Rate& rate) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(rate.per) / rate.count;
}

bool Admission::Configure(const Policy& policy) {
  const bool unpaused = !(policy.rate_limit == rate_limit_);
  if (unpaused) {
    service_bucket_ = {};
    paused_until_ = {};
  }
  const bool rate_changed = !(policy.rate_limit_per_source == rate_limit_per_source_);
  policy_ = &policy;
  rate_limit_ = policy.rate_limit;
  rate_limit_per_source_ = policy.rate_limit_per_source;
  if (!rate_changed) return unpaused;
  for (auto it = sources_.begin(); it != sources_.end();) {
    it->second.bucket = {};
    it = it->second.running == 0 ? sources_.erase(it) : std::next(it);
  }
  return unpaused;
}

bool Admission::HasToken() const {
  const Rate& rate = policy_->rate_limit;
  if (rate.off()) return true;
  const TimePoint now = clock_.Now();
  return now >= paused_until_ && service_bucket_.NextToken(Interval(rate), rate.count) <= now;
}

std::optional<Admission::TimePoint> Admission::PausedUntil(bool* new_pause) {
  if (new_pause) *new_pause = false;
  const Rate& rate = policy_->rate_limit;
  if (rate.off()) return std::nullopt;
  const TimePoint now = clock_.Now();
  if (now < paused_until_) return paused_until_;
  const TimePoint next = service_bucket_.NextToken(Interval(rate), rate.count);
  if (next <= now) return std::nullopt;
  // One episode lasts until the service has run a whole period unpaused:
  // with rate_limit_pause 0, a flood empties the bucket at every token.
  const bool continued = paused_until_ != TimePoint() && now < paused_until_ + rate.per;
  paused_until_ = std::max(now + policy_->rate_limit_pause, next);
  if (!continued) ++pauses_;
  if (new_pause) *new_pause = !continued;
  return paused_until_;
}

Verdict Admission::CheckAcl(const sockaddr* client) const {
  Verdict v;
  if (client == nullptr || (client->sa_family != AF_INET && client->sa_family != AF_INET6))
    return v;
  if (int rule = policy_->deny->Find(client); rule >= 0) {
    v.refusal = Refusal::kAcl;
    v.rule = policy_->deny->rule(rule);
  } else if (!policy_->allow->empty() && policy_->allow->Find(client) < 0) {
    v.refusal = Refusal::kAcl;
  }
  return v;
}

Verdict Admission::CheckBalancer(const sockaddr* peer) const {
  Verdict v;
  if (peer == nullptr || policy_->proxy_from->Find(peer) < 0) v.refusal = Refusal::kProxy;
  return v;
}

Verdict Admission::Admit(const sockaddr* client, uid_t peer_uid) {
  Verdict v = CheckAcl(client);
  if (!v.admitted()) return v;
  const TimePoint now = clock_.Now();
  const Rate& per_source = policy_->rate_limit_per_source;
  if (Counts() && client != nullptr) {
    Sweep();
    v.source = Source::Of(client, peer_uid, policy_->source_prefix);
    SourceState& state = sources_[v.source];
    if (policy_->max_per_source > 0 && state.running >= policy_->max_per_source) {
      v.refusal = Refusal::kPerSource;
      return v;
    }
    if (!per_source.off() &&
        !state.bucket.Take(now, Interval(per_source), per_source.count)) {
      v.refusal = Refusal::kRatePerSource;
      return v;
    }
    ++state.running;
    v.counted = true;
  }
  if (!policy_->rate_limit.off())
    service_bucket_.Take(now, Interval(policy_->rate_limit), policy_->rate_limit.count);
  return v;
}

void Admission::Ended(const Source& source) {
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (--it->second.running == 0) Forget(it->first, it->second, clock_.Now());
  Sweep();
}

// An idle source goes now if its bucket is full, else when it will be.
void Admission::Forget(Source source, const SourceState& state,
                       TimePoint now) {
  if (state.bucket.tat > now) {
    expiries_.push_back({state.bucket.tat, source});
    std::push_heap(expiries_.begin(), expiries_.end(), Later());
  } else {
    sources_.erase(source);  // a copy: `state` and its key go with it
  }
}

void Admission::Sweep() {
  const TimePoint now = clock_.Now();
  if (expiries_.empty() || expiries_.front().first > now) return;
  while (!expiries_.empty() && expiries_.front().first <= now) {
    std::pop_heap(expiries_.begin(), expiries_.end(), Later());
    const Source source = expiries_.back().second;
    expiries_.pop_back();
    auto it = sources_.find(source);
    if (it != sources_.end() && it->second.running == 0 && it->second.bucket.tat <= now)
      sources_.erase(it);
  }
  ShrinkIfIdle();
}

// Containers keep their largest size; after a crowd of clients has gone,
// give the memory back.
void Admission::ShrinkIfIdle() {
  constexpr size_t kSmall = 1024;
  if (expiries_.capacity() > kSmall && expiries_.size() < expiries_.capacity() / 8)
    expiries_.shrink_to_fit();
  if (sources_.bucket_count() > kSmall && sources_.size() < sources_.bucket_count() / 8)
    sources_.rehash(0);
}

}  // namespace superd
