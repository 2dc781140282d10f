#include "log_throttle.hpp"

namespace superd {

LogThrottle::Action LogThrottle::Note(TimePoint now, const std::string& subject) {
  if (now - second_ >= std::chrono::seconds(1)) {
    second_ = now;
    in_second_ = 0;
  }
  if (in_second_ < kBurst && !window_open_) {
    ++in_second_;
    return Action::kLog;
  }
  // Once a summary is pending, everything goes into it, so that the log
  // reads in order: a few lines, then "N more".
  if (pending_.count == 0) pending_.subject = subject;
  else if (pending_.subject != subject) mixed_ = true;
  ++pending_.count;
  if (window_open_) return Action::kCount;
  window_open_ = true;
  return Action::kCountAndSchedule;
}

LogThrottle::Summary LogThrottle::TakeSummary() {
  Summary s = pending_;
  if (mixed_) s.subject.clear();
  pending_ = {};
  mixed_ = false;
  window_open_ = false;
  in_second_ = 0;
  return s;
}

}  // namespace superd
