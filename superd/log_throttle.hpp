// LogThrottle: keeps a flood of like events (refused connections) from
// flooding the log. The first kBurst events of each second are logged one
// by one; the rest are counted, and the supervisor logs them as one summary
// line at the end of a kSummaryPeriod window ("refused 1234 more connections
// from 2001:db8::/64 in the last 10 s"). Pure: time comes from the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace superd {

class LogThrottle {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr int kBurst = 5;
  static constexpr std::chrono::seconds kSummaryPeriod{10};

  enum class Action {
    kLog,             // log this event
    kCountAndSchedule,  // counted; the first of a window: call TakeSummary()
                        // kSummaryPeriod from now
    kCount,           // counted into the pending summary
  };
  // One event at `now` concerning `subject` (e.g. a client's source).
  Action Note(TimePoint now, const std::string& subject);

  struct Summary {
    uint64_t count = 0;
    std::string subject;  // the common subject, or empty when several
  };
  // The events counted since the window began; starts a new window.
  Summary TakeSummary();
  bool pending() const { return pending_.count > 0; }

 private:
  TimePoint second_{};
  int in_second_ = 0;
  bool window_open_ = false;
  Summary pending_;
  bool mixed_ = false;
};

}  // namespace superd
