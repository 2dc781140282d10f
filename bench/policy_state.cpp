// bench/policy_state: what per-source state costs (issue 9, "bounded
// state"). Feeds one Admission with `max_per_source` and
// `rate_limit_per_source` 1,000,000 distinct IPv6 sources, each holding an
// instance, and reports the heap per source with live state; then ends them
// all, lets the clock pass until every bucket is full again, and reports
// what is left. The clock is a manual one: nothing sleeps.
//
//   policy_state [SOURCES]     prints key=value lines
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "policy.hpp"

using namespace superd;
using namespace std::chrono_literals;

namespace {

size_t HeapInUse() {  // small blocks and mmap()ed large ones
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

sockaddr_in6 Client(uint32_t n) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr.s6_addr[0] = 0x20;
  a.sin6_addr.s6_addr[1] = 0x01;
  std::memcpy(a.sin6_addr.s6_addr + 4, &n, sizeof n);  // one /64 each
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1'000'000;
  ManualClock clock;
  Policy policy;
  policy.max_per_source = 4;
  policy.rate_limit_per_source = {10, Duration(1000)};
  std::vector<Source> held;
  held.reserve(n);
  const size_t base = HeapInUse();
  {
    Admission admission(clock);
    admission.Configure(policy);
    const size_t start = HeapInUse();
    for (uint32_t i = 0; i < n; ++i) {
      const sockaddr_in6 a = Client(i);
      held.push_back(admission.Admit(reinterpret_cast<const sockaddr*>(&a)).source);
    }
    const size_t live = HeapInUse();
    for (const Source& s : held) admission.Ended(s);
    const size_t ended = HeapInUse();
    clock.Advance(1s);
    admission.Sweep();
    const size_t idle = HeapInUse();
    std::printf("sources=%u\nlive_sources=%u\n", n, n);
    std::printf("bytes_per_live_source=%.1f\n", double(live - start) / n);
    std::printf("bytes_per_source_refilling=%.1f\n", double(ended - start) / n);
    std::printf("sources_after_idle=%zu\n", admission.sources());
    std::printf("bytes_left_after_idle=%lld\n", static_cast<long long>(idle) - static_cast<long long>(start));
  }
  std::printf("bytes_left_after_destruction=%lld\n",
              static_cast<long long>(HeapInUse()) - static_cast<long long>(base));
  return 0;
}
