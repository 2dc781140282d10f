// TableWatch: notices that a file of the service table changed: the table,
// a file it includes, or a new or removed file a pattern names. Watches
// the directories the files are in (inotify), not the files, so that a
// file replaced by a rename (editors, update-inetd) is still seen, and
// reports only names that concern the table. Knows nothing of the loop or
// of reloading; the supervisor waits for a change to settle.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "fd.hpp"

namespace superd {

class TableWatch {
 public:
  TableWatch();
  // The inotify descriptor, readable when something happened; -1 when
  // inotify is not available (error() says why).
  int fd() const { return fd_.get(); }
  const std::string& error() const { return error_; }

  // Watches `files` (by name) and what `patterns` (glob(7) in their last
  // component) name, instead of what was watched before; a file that is a
  // symbolic link, also where it points. A directory that
  // does not exist (yet) is awaited in the nearest one above it that does;
  // its making, or its removal once watched, is a change. Directories that
  // cannot be watched are left out: error() says which.
  void Watch(const std::vector<std::string>& files, const std::vector<std::string>& patterns);
  // Reads every pending event; whether one concerns the table.
  bool Changed();

 private:
  struct Name {
    std::string name;
    bool pattern;  // a glob(7) pattern, not an exact name
  };
  struct Directory {
    std::vector<Name> names;
  };
  void Add(const std::string& path, bool pattern);

  UniqueFd fd_;
  std::string error_;
  std::unordered_map<int, Directory> watched_;           // watch descriptor ->
  std::unordered_map<std::string, int> by_directory_;    // path -> watch descriptor
};

}  // namespace superd
