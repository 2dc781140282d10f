#include "xinetd_conf.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace superd {
namespace {

// Bounds that keep a broken or hostile input from taking the importer's
// memory: xinetd configurations are a few kilobytes.
constexpr size_t kMaxFileBytes = 16 << 20;
constexpr size_t kMaxIncludeDepth = 16;

bool Blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && Blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !Blank(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

// xinetd's line_has_only_1_char: `c` and blanks, nothing else.
bool Lone(std::string_view line, char c) {
  bool seen = false;
  for (char x : line) {
    if (x == c && !seen) seen = true;
    else if (!Blank(x)) return false;
  }
  return seen;
}

// Comments and blank lines: nothing but blanks before a '#' or the end.
bool Ignored(std::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (!Blank(c)) return false;
  }
  return true;
}

std::string Quote(std::string_view word) { return "'" + std::string(word) + "'"; }

class RealFiles : public XinetdFiles {
 public:
  Kind Stat(const std::string& path, std::string& error) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      error = std::strerror(errno);
      return Kind::kMissing;
    }
    if (S_ISREG(st.st_mode)) return Kind::kRegular;
    if (S_ISDIR(st.st_mode)) return Kind::kDirectory;
    return Kind::kOther;
  }

  bool Read(const std::string& path, std::string& text, std::string& error) override {
    // O_NONBLOCK: a FIFO put in the file's place is refused, never waited on.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      error = std::strerror(errno);
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      error = "not a regular file";
      close(fd);
      return false;
    }
    text.clear();
    char buffer[65536];
    for (;;) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = std::strerror(errno);
        close(fd);
        return false;
      }
      if (n == 0) break;
      text.append(buffer, n);
      if (text.size() > kMaxFileBytes) {
        error = "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB";
        close(fd);
        return false;
      }
    }
    close(fd);
    return true;
  }

  bool List(const std::string& dir, std::vector<std::string>& names,
            std::string& error) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      error = std::strerror(errno);
      return false;
    }
    errno = 0;
    while (const dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    const int failure = errno;
    closedir(d);
    if (failure != 0) {
      error = std::strerror(failure);
      return false;
    }
    return true;
  }
};

class Reader {
 public:
  Reader(XinetdFiles& files, XinetdConfig& config) : files_(files), config_(config) {}

  // The command line's path: a file or a directory.
  void ReadPath(const std::string& path) {
    std::string error;
    switch (files_.Stat(path, error)) {
      case XinetdFiles::Kind::kDirectory: ReadDirectory(path, {path, 0}); break;
      case XinetdFiles::Kind::kRegular: ReadFile(path, {path, 0}); break;
      case XinetdFiles::Kind::kMissing:
        Error({path, 0}, "unable to read " + path + ": " + error);
        break;
      case XinetdFiles::Kind::kOther:
        Error({path, 0}, path + " is neither a regular file nor a directory");
        break;
    }
  }

 private:
  enum class State { kTop, kExpectOpen, kInBlock, kSkipping };

  void Error(XinetdPosition at, std::string text) {
    config_.messages.push_back({std::move(at), std::move(text), false});
  }
  void Warning(XinetdPosition at, std::string text) {
    config_.messages.push_back({std::move(at), std::move(text), true});
  }

  // `path` as an include names it: relative to the including file's
  // directory (xinetd takes it from its own working directory, /).
  static std::string Resolve(const std::string& path, const std::string& from) {
    if (path.empty() || path[0] == '/') return path;
    std::filesystem::path base = std::filesystem::path(from).parent_path();
    return (base / path).lexically_normal().string();
  }

  void ReadFile(const std::string& path, const XinetdPosition& from) {
    const std::string key = std::filesystem::path(path).lexically_normal().string();
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      Error(from, "include loop: " + path + " is already being read");
      return;
    }
    if (stack_.size() >= kMaxIncludeDepth) {
      Error(from, "includes nested more than " + std::to_string(kMaxIncludeDepth) +
                      " deep at " + path);
      return;
    }
    std::string text, error;
    if (!files_.Read(path, text, error)) {
      Error(from, "unable to read " + path + ": " + error);
      return;
    }
    config_.files.push_back(path);
    stack_.push_back(key);
    Parse(text, path);
    stack_.pop_back();
  }

  // As xinetd's includedir: every name it reads, in strcmp order.
  void ReadDirectory(const std::string& dir, const XinetdPosition& from) {
    std::vector<std::string> names;
    std::string error;
    if (!files_.List(dir, names, error)) {
      Error(from, "unable to read directory " + dir + ": " + error);
      return;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (!XinetdIncludedirReads(name)) continue;
      const std::string path = dir.ends_with('/') ? dir + name : dir + "/" + name;
      switch (files_.Stat(path, error)) {
        case XinetdFiles::Kind::kRegular: ReadFile(path, from); break;
        case XinetdFiles::Kind::kMissing:
          Error(from, "unable to read " + path + ": " + error);
          break;
        default:  // xinetd skips it too, with a message
          Warning(from, path + " is not a regular file: skipped, as xinetd does");
          break;
      }
    }
  }

  void Include(const std::vector<std::string>& words, const XinetdPosition& at) {
    const bool dir = words[0] == "includedir";
    if (words.size() < 2) {
      Error(at, Quote(words[0]) + " without a " + (dir ? "directory" : "file"));
      return;
    }
    if (words.size() > 2) Warning(at, "words after " + Quote(words[1]) + " are ignored, as xinetd does");
    const std::string path = Resolve(words[1], at.file);
    std::string error;
    const XinetdFiles::Kind kind = files_.Stat(path, error);
    if (kind == XinetdFiles::Kind::kMissing) {
      Error(at, "unable to read " + path + ": " + error);
    } else if (dir && kind != XinetdFiles::Kind::kDirectory) {
      Error(at, "includedir: " + path + " is not a directory");
    } else if (!dir && kind == XinetdFiles::Kind::kDirectory) {
      Error(at, "include: " + path + " is a directory (includedir reads one)");
    } else if (dir) {
      ReadDirectory(path, at);
    } else {
      ReadFile(path, at);
    }
  }

  // One line between blocks.
  void Top(std::string_view line, const XinetdPosition& at, State& state) {
    const std::vector<std::string> words = Words(line);
    const std::string& first = words[0];
    if (first == "service" || first == "defaults") {
      const bool defaults = first == "defaults";
      if (!defaults && words.size() < 2) {
        Error(at, "'service' without a name");
        state = State::kExpectOpen;  // its block, if any, is skipped below
        block_ = std::nullopt;
        return;
      }
      block_ = XinetdBlock{defaults, defaults ? "" : words[1], at, {}};
      const size_t extra = defaults ? 1 : 2;
      state = State::kExpectOpen;
      if (words.size() > extra && words[extra] == "{") {
        // xinetd wants it alone on the next line; read on as if it were.
        Error(at, "'{' must be on a line of its own, after " +
                      (defaults ? std::string("'defaults'") : "'service " + words[1] + "'"));
        state = State::kInBlock;
      } else if (words.size() > extra) {
        Warning(at, "words after " + Quote(words[extra - 1]) + " are ignored, as xinetd does");
      }
    } else if (first == "include" || first == "includedir") {
      Include(words, at);
    } else if (Lone(line, '{')) {
      if (!after_error_) Error(at, "'{' without 'service NAME' or 'defaults' before it");
      state = State::kSkipping;
    } else if (Lone(line, '}')) {
      Error(at, "'}' without a block to close");
    } else {
      Error(at, "expected 'service NAME', 'defaults', 'include FILE' or 'includedir DIR', not " +
                    Quote(first));
      after_error_ = true;
      return;
    }
    after_error_ = false;
  }

  // One line of a block; false when it is no attribute but the start of
  // something else (a '}' is missing before it).
  bool Attribute(std::string_view line, const XinetdPosition& at) {
    size_t i = 0;
    while (i < line.size() && Blank(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !Blank(line[i]) && line[i] != '=') ++i;
    const std::string name(line.substr(start, i - start));
    if (i < line.size() && line[i] == '=') {
      if (name.empty()) Error(at, "an operator without an attribute name");
      else Error(at, "attribute " + Quote(name) + " needs a blank before its operator");
      return true;
    }
    while (i < line.size() && Blank(line[i])) ++i;
    XinetdOperator op = XinetdOperator::kSet;
    size_t width = 1;
    if (line.substr(i, 2) == "+=") op = XinetdOperator::kAdd, width = 2;
    else if (line.substr(i, 2) == "-=") op = XinetdOperator::kRemove, width = 2;
    else if (line.substr(i, 1) != "=") width = 0;
    if (width == 0) {
      if (name == "service" || name == "defaults" || name == "include" || name == "includedir") {
        Error(block_->position, std::string(block_->defaults ? "defaults" : "service " + Quote(block_->name)) +
                                    " has no closing '}' before line " + std::to_string(at.line));
        return false;
      }
      Error(at, i == line.size() ? "attribute " + Quote(name) + " without an operator and a value"
                                 : "expected '=', '+=' or '-=' after " + Quote(name));
      return true;
    }
    block_->attributes.push_back({name, op, Words(line.substr(i + width)), at});
    return true;
  }

  void Parse(const std::string& text, const std::string& file) {
    State state = State::kTop;
    block_ = std::nullopt;
    after_error_ = false;
    XinetdPosition opened;  // the `service` line whose '{' is awaited
    int number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      const XinetdPosition at{file, ++number};
      if (Ignored(line)) continue;
      switch (state) {
        case State::kTop:
          Top(line, at, state);
          if (state == State::kExpectOpen) opened = at;
          break;
        case State::kExpectOpen:
          if (Lone(line, '{')) {
            state = block_ ? State::kInBlock : State::kSkipping;
          } else {
            Error(at, "expected '{' on the line after line " + std::to_string(opened.line));
            state = State::kSkipping;
          }
          break;
        case State::kInBlock:
          if (Lone(line, '}')) {
            config_.blocks.push_back(std::move(*block_));
            block_ = std::nullopt;
            state = State::kTop;
          } else if (Lone(line, '{')) {
            Error(at, "'{' inside a block");
          } else if (!Attribute(line, at)) {
            block_ = std::nullopt;
            state = State::kTop;
            Top(line, at, state);
            if (state == State::kExpectOpen) opened = at;
          }
          break;
        case State::kSkipping:
          if (Lone(line, '}')) state = State::kTop;
          break;
      }
    }
    if (state == State::kExpectOpen)
      Error(opened, "expected a '{' block after this line, not the end of the file");
    else if (state == State::kInBlock)
      Error(block_->position, std::string(block_->defaults ? "defaults" : "service " + Quote(block_->name)) +
                                  " has no closing '}' before the end of the file");
    block_ = std::nullopt;
  }

  XinetdFiles& files_;
  XinetdConfig& config_;
  std::vector<std::string> stack_;     // files being read, for loops
  std::optional<XinetdBlock> block_;   // the block being read
  bool after_error_ = false;           // the last top-level line was wrong
};

}  // namespace

std::string XinetdMessage::Format() const {
  std::string out = position.file;
  if (position.line > 0) out += ":" + std::to_string(position.line);
  return out + (warning ? ": warning: " : ": error: ") + text;
}

bool XinetdConfig::ok() const {
  return std::none_of(messages.begin(), messages.end(),
                      [](const XinetdMessage& m) { return !m.warning; });
}

XinetdFiles& RealXinetdFiles() {
  static RealFiles files;
  return files;
}

XinetdConfig ReadXinetdConf(const std::string& path, XinetdFiles& files) {
  XinetdConfig config;
  Reader(files, config).ReadPath(path);
  return config;
}

bool XinetdIncludedirReads(std::string_view name) {
  return !name.empty() && name.find('.') == std::string_view::npos && !name.ends_with('~');
}

bool LooksLikeXinetdConf(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (Ignored(line)) continue;
    const std::vector<std::string> words = Words(line);
    if (Lone(line, '{')) return true;
    if (words[0] == "defaults" && words.size() == 1) return true;
    if ((words[0] == "service" || words[0] == "include" || words[0] == "includedir") &&
        words.size() == 2)
      return true;
  }
  return false;
}

}  // namespace superd
