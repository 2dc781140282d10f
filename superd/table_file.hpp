// TableFile: how every file of a service table is found and read: the
// table itself, its `include` drop-ins and its `inetd_conf` files. Reads
// only regular files, without waiting (a FIFO put at the path would hold
// a load forever), and no more than a table may hold (kMaxTableBytes,
// table.hpp).
#pragma once

#include <string>
#include <vector>

namespace superd {

// Reads `path` into `text`; returns why it could not ("not a regular
// file", "N bytes, more than 16 MiB", strerror's text), or "".
std::string ReadTableFile(const std::string& path, std::string& text);

// The files `pattern` (glob(7): *, ?, [...]) names, sorted; none is fine.
// A relative pattern is taken from the directory of `table`, the file
// that names it.
std::vector<std::string> ExpandPattern(const std::string& pattern, const std::string& table);

// The directory `path` is in ("." for a bare name).
std::string DirectoryOf(const std::string& path);

}  // namespace superd
