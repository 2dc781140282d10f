#include "table_watch.hpp"

#include <fnmatch.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "table_file.hpp"

namespace superd {
namespace {

// What a change to a file looks like, however it is made: written in
// place (update-inetd when /tmp is another file system), renamed over
// (editors, update-inetd), created, removed. IN_MODIFY too: a rewrite in
// place is a change even before it is closed; the supervisor waits for
// the writes to settle.
// The directory itself removed or moved away: what it held is gone, and
// the next reload watches where it may come back (IN_IGNORED would also
// come for watches superd removes itself).
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                             IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                             IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

TableWatch::TableWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!fd_) error_ = std::string("inotify: ") + strerror(errno);
}

void TableWatch::Watch(const std::vector<std::string>& files,
                       const std::vector<std::string>& patterns) {
  if (!fd_) return;
  for (const auto& [wd, dir] : watched_) inotify_rm_watch(fd_.get(), wd);
  watched_.clear();
  by_directory_.clear();
  error_.clear();
  for (const std::string& f : files) {
    Add(f, false);
    // A symbolic link is watched where it points as well: an edit of the
    // file it names happens there.
    if (char* real = realpath(f.c_str(), nullptr)) {
      if (f != real) Add(real, false);
      free(real);
    }
  }
  for (const std::string& p : patterns) Add(p, true);
}

// A directory that does not exist (yet) is awaited in the nearest one on
// its path that does: its making is a change, and the reload it brings
// watches it.
void TableWatch::Add(const std::string& path, bool pattern) {
  const std::string dir = DirectoryOf(path);
  const std::string name = path.substr(path.rfind('/') == std::string::npos
                                           ? 0
                                           : path.rfind('/') + 1);
  if (pattern && dir.find_first_of("*?[") != std::string::npos) return;  // matched files are
                                                                         // watched by name
  auto it = by_directory_.find(dir);
  if (it == by_directory_.end()) {
    const int wd = inotify_add_watch(fd_.get(), dir.c_str(), kEvents);
    if (wd < 0 && errno == ENOENT && dir != path && dir != "/") return Add(dir, false);
    if (wd < 0) {
      error_ += (error_.empty() ? "" : "; ") + dir + ": " + strerror(errno);
      return;
    }
    it = by_directory_.emplace(dir, wd).first;
  }
  watched_[it->second].names.push_back({name, pattern});
}

bool TableWatch::Changed() {
  alignas(inotify_event) char buffer[16384];
  bool changed = false;
  ssize_t n;
  while ((n = read(fd_.get(), buffer, sizeof buffer)) > 0) {
    for (char* p = buffer; p < buffer + n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) {  // lost events: any may have been ours
        changed = true;
        continue;
      }
      const auto it = watched_.find(event->wd);
      if (it == watched_.end()) continue;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        changed = true;
        continue;
      }
      if (event->len == 0) continue;
      for (const Name& n : it->second.names)
        changed = changed || (n.pattern ? fnmatch(n.name.c_str(), event->name, FNM_PERIOD) == 0
                                        : n.name == event->name);
    }
  }
  return changed;
}

}  // namespace superd
