#include "table_load.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>

#include "fd.hpp"

namespace superd {

struct TableLoad::Shared {
  UniqueFd ready{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  std::optional<LoadResult> result;  // written by the thread before `ready`
};

namespace {

void Signal(int fd) {
  const uint64_t one = 1;
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

LoadResult Failed(const std::string& path, const std::string& why) {
  LoadResult result{std::nullopt, Diagnostics(path)};
  result.diagnostics.Error({}, why);
  return result;
}

}  // namespace

TableLoad::TableLoad(const std::string& path) : shared_(std::make_shared<Shared>()) {
  if (!shared_->ready) {
    shared_->result = Failed(path, std::string("unable to create an eventfd: ") + strerror(errno));
    return;
  }
  try {
    // The eventfd's write publishes the result to the loop's read.
    ++running_;
    std::thread([shared = shared_, path] {
      shared->result = LoadTable(path);
      Signal(shared->ready.get());
      --running_;
    }).detach();
  } catch (const std::system_error& e) {
    --running_;
    shared_->result = Failed(path, std::string("unable to start a thread: ") + e.what());
    Signal(shared_->ready.get());
  }
}

TableLoad::~TableLoad() = default;

int TableLoad::fd() const { return shared_->ready.get(); }

LoadResult TableLoad::Take() {
  uint64_t count;
  while (read(shared_->ready.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
  LoadResult result = std::move(*shared_->result);
  shared_->result.reset();
  return result;
}

}  // namespace superd
