#include "event_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace superd {
namespace {

using namespace std::chrono_literals;
using Clock = EventLoop::Clock;

// A non-blocking pipe, closed at the end of the test.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close(r);
    close(w);
  }
  void Put() { EXPECT_EQ(write(w, "x", 1), 1); }
  void Drain() {
    char buf[64];
    while (read(r, buf, sizeof buf) > 0) {
    }
  }
};

// One RunOnce that cannot block for long: a guard timer ends it if nothing
// else does.
void RunOnceAtMost(EventLoop& loop, std::chrono::milliseconds limit) {
  EventLoop::TimerId guard = loop.AddTimer(Clock::now() + limit, [] {});
  loop.RunOnce();
  loop.CancelTimer(guard);
}

// Every test runs on poll() and on epoll: the loop moves to epoll with many
// descriptors, and both must behave alike.
class EventLoopTest : public testing::TestWithParam<EventLoop::Backend> {};

TEST_P(EventLoopTest, WatchFiresWhenReadable) {
  EventLoop loop(GetParam());
  Pipe p;
  int calls = 0;
  loop.Watch(p.r, [&] {
    ++calls;
    p.Drain();
  });
  EXPECT_TRUE(loop.IsActive(p.r));
  RunOnceAtMost(loop, 20ms);
  EXPECT_EQ(calls, 0) << "nothing to read yet";
  p.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(calls, 1);
}

TEST_P(EventLoopTest, PausedDescriptorIsNotPolledUntilResumed) {
  EventLoop loop(GetParam());
  Pipe p;
  int calls = 0;
  loop.Watch(p.r, [&] {
    ++calls;
    p.Drain();
  });
  p.Put();
  loop.SetActive(p.r, false);
  EXPECT_FALSE(loop.IsActive(p.r));
  for (int i = 0; i < 3; ++i) RunOnceAtMost(loop, 10ms);
  EXPECT_EQ(calls, 0) << "data is pending but the descriptor is paused";
  loop.SetActive(p.r, true);
  EXPECT_TRUE(loop.IsActive(p.r));
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(calls, 1);
}

TEST_P(EventLoopTest, PausingFromAnotherCallbackTakesEffectAtOnce) {
  EventLoop loop(GetParam());
  Pipe a, b;
  int b_calls = 0;
  loop.Watch(a.r, [&] {
    a.Drain();
    loop.SetActive(b.r, false);
  });
  loop.Watch(b.r, [&] { ++b_calls; });
  a.Put();
  b.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(b_calls, 0);
}

TEST_P(EventLoopTest, UnwatchInsideItsOwnCallbackIsSafe) {
  EventLoop loop(GetParam());
  Pipe p;
  int calls = 0;
  // Only the callback owns this string, so a callback destroyed while it
  // runs would be a use after free (visible under ASan/valgrind).
  loop.Watch(p.r, [&, owned = std::make_shared<std::string>(
                          "still alive after Unwatch")] {
    ++calls;
    loop.Unwatch(p.r);
    EXPECT_EQ(*owned, "still alive after Unwatch");
  });
  p.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(loop.IsActive(p.r));
  RunOnceAtMost(loop, 20ms);  // still readable, but no longer watched
  EXPECT_EQ(calls, 1);
}

TEST_P(EventLoopTest, UnwatchOfAnotherReadyDescriptorSkipsIt) {
  EventLoop loop(GetParam());
  Pipe a, b, c;
  int a_calls = 0, b_calls = 0, c_calls = 0;
  // a is in the first slot: unwatching it moves c's slot into its place.
  loop.Watch(a.r, [&] {
    ++a_calls;
    loop.Unwatch(a.r);
    loop.Unwatch(b.r);
  });
  loop.Watch(b.r, [&] { ++b_calls; });
  loop.Watch(c.r, [&] {
    ++c_calls;
    c.Drain();
  });
  a.Put();
  b.Put();
  c.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(a_calls, 1);
  EXPECT_EQ(b_calls, 0);
  EXPECT_EQ(c_calls, 1);
  c.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(c_calls, 2) << "c keeps its own callback after the move";
  EXPECT_EQ(a_calls, 1);
  EXPECT_EQ(b_calls, 0);
}

TEST_P(EventLoopTest, WatchingAgainReplacesTheCallbackAndResumes) {
  EventLoop loop(GetParam());
  Pipe p;
  int first = 0, second = 0;
  loop.Watch(p.r, [&] { ++first; });
  loop.SetActive(p.r, false);
  loop.Watch(p.r, [&] {
    ++second;
    p.Drain();
  });
  EXPECT_TRUE(loop.IsActive(p.r));
  p.Put();
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST_P(EventLoopTest, TimersFireInDeadlineOrder) {
  EventLoop loop(GetParam());
  std::vector<std::string> fired;
  const auto now = Clock::now();
  loop.AddTimer(now + 30ms, [&] { fired.push_back("c"); });
  loop.AddTimer(now + 10ms, [&] { fired.push_back("a"); });
  loop.AddTimer(now + 20ms, [&] { fired.push_back("b"); });
  loop.AddTimer(now + 10ms, [&] { fired.push_back("a2"); });  // same deadline
  for (int i = 0; i < 100 && fired.size() < 4; ++i) loop.RunOnce();
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "a2", "b", "c"}));
  EXPECT_GE(Clock::now() - now, 30ms);
}

TEST_P(EventLoopTest, CancelledTimerNeverFires) {
  EventLoop loop(GetParam());
  bool cancelled_fired = false, kept_fired = false;
  const auto now = Clock::now();
  EventLoop::TimerId id =
      loop.AddTimer(now + 5ms, [&] { cancelled_fired = true; });
  loop.AddTimer(now + 20ms, [&] { kept_fired = true; });
  loop.CancelTimer(id);
  for (int i = 0; i < 100 && !kept_fired; ++i) loop.RunOnce();
  EXPECT_TRUE(kept_fired);
  EXPECT_FALSE(cancelled_fired);
}

TEST_P(EventLoopTest, ATimerCanCancelAnother) {
  EventLoop loop(GetParam());
  bool second_fired = false;
  const auto now = Clock::now();
  EventLoop::TimerId second;
  loop.AddTimer(now, [&] { loop.CancelTimer(second); });
  second = loop.AddTimer(now, [&] { second_fired = true; });
  loop.RunOnce();
  RunOnceAtMost(loop, 10ms);
  EXPECT_FALSE(second_fired);
}

TEST_P(EventLoopTest, ATimerWakesRunOnce) {
  EventLoop loop(GetParam());
  Pipe p;  // watched, never readable
  loop.Watch(p.r, [] { ADD_FAILURE() << "nothing was written"; });
  bool fired = false;
  const auto start = Clock::now();
  loop.AddTimer(start + 30ms, [&] { fired = true; });
  loop.RunOnce();
  EXPECT_TRUE(fired) << "one RunOnce waits for the deadline and runs it";
  EXPECT_GE(Clock::now() - start, 30ms);
}

TEST_P(EventLoopTest, StopFromACallbackEndsRun) {
  EventLoop loop(GetParam());
  Pipe p;
  int calls = 0;
  loop.Watch(p.r, [&] {
    p.Drain();
    if (++calls == 2) loop.Stop();
    else p.Put();
  });
  loop.AddTimer(Clock::now() + 5s, [&] {
    ADD_FAILURE() << "Run did not stop";
    loop.Stop();
  });
  p.Put();
  loop.Run();
  EXPECT_EQ(calls, 2);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, EventLoopTest,
    testing::Values(EventLoop::Backend::kPoll, EventLoop::Backend::kEpoll),
    [](const testing::TestParamInfo<EventLoop::Backend>& info) {
      return info.param == EventLoop::Backend::kPoll ? "Poll" : "Epoll";
    });

TEST(EventLoop, BackendsAreWhatWasAskedFor) {
  EXPECT_FALSE(EventLoop(EventLoop::Backend::kPoll).using_epoll());
  EXPECT_TRUE(EventLoop(EventLoop::Backend::kEpoll).using_epoll());
  EXPECT_FALSE(EventLoop().using_epoll());
}

// Past kEpollThreshold descriptors the automatic loop moves to epoll, keeping
// every registration: paused ones stay paused, active ones keep firing.
TEST(EventLoop, AutoMovesToEpollPastTheThresholdKeepingState) {
  EventLoop loop;
  std::vector<std::unique_ptr<Pipe>> pipes;
  std::vector<int> calls;
  const size_t n = EventLoop::kEpollThreshold + 1;
  calls.resize(n);
  for (size_t i = 0; i < n; ++i) {
    pipes.push_back(std::make_unique<Pipe>());
    Pipe& p = *pipes.back();
    loop.Watch(p.r, [&calls, &p, i] {
      ++calls[i];
      p.Drain();
    });
    if (i == 0) loop.SetActive(p.r, false);
    EXPECT_EQ(loop.using_epoll(), i + 1 > EventLoop::kEpollThreshold) << i;
  }
  pipes[0]->Put();
  pipes[1]->Put();
  pipes[n - 1]->Put();
  for (int i = 0; i < 3; ++i) RunOnceAtMost(loop, 20ms);
  EXPECT_EQ(calls[0], 0) << "paused before the move, still paused";
  EXPECT_EQ(calls[1], 1);
  EXPECT_EQ(calls[n - 1], 1);
  loop.SetActive(pipes[0]->r, true);
  RunOnceAtMost(loop, 2s);
  EXPECT_EQ(calls[0], 1);
  loop.Unwatch(pipes[1]->r);
  pipes[1]->Put();
  RunOnceAtMost(loop, 20ms);
  EXPECT_EQ(calls[1], 1) << "unwatched after the move";
}

}  // namespace
}  // namespace superd
