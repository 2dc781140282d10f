#include "table_file.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fd.hpp"
#include "table.hpp"

namespace superd {

std::string ReadTableFile(const std::string& path, std::string& text) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return std::string(strerror(errno));
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::string("not a regular file");
  const auto too_big = [](size_t size) {
    return std::to_string(size) + " bytes, more than " + std::to_string(kMaxTableBytes >> 20) +
           " MiB";
  };
  if (static_cast<size_t>(st.st_size) > kMaxTableBytes) return too_big(st.st_size);
  text.clear();
  char buffer[65536];
  ssize_t n = 0;
  while (text.size() <= kMaxTableBytes &&
         ((n = read(fd.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
  if (n < 0) return std::string(strerror(errno));
  if (text.size() > kMaxTableBytes) return too_big(text.size());  // grew while read
  return "";
}

std::string DirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<std::string> ExpandPattern(const std::string& pattern, const std::string& table) {
  const std::string full =
      pattern.empty() || pattern[0] == '/' ? pattern : DirectoryOf(table) + "/" + pattern;
  std::vector<std::string> files;
  glob_t g{};
  if (glob(full.c_str(), GLOB_NOSORT | GLOB_MARK, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      const std::string name = g.gl_pathv[i];
      if (name.back() != '/') files.push_back(name);  // a directory: not a file of the table
    }
  }
  globfree(&g);
  std::sort(files.begin(), files.end());  // the C locale's order, as xinetd's includedir
  return files;
}

}  // namespace superd
