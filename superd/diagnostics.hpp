// Diagnostics: problems found in a service table, each with its position.
// The loader keeps going after an error so that `superd --check` prints every
// problem in one run. Printed as `FILE:LINE:COLUMN: error: MESSAGE`.
#pragma once

#include <string>
#include <vector>

namespace superd {

struct Position {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

struct Diagnostic {
  Position position;
  std::string message;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Records an error. The same message at the same position is recorded
  // once (a bad `defaults` entry is seen by every service that inherits it).
  void Error(Position position, std::string message);

  bool empty() const { return errors_.empty(); }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

  // "FILE:LINE:COLUMN: error: MESSAGE"
  std::string Format(const Diagnostic& d) const;
  // Every error, one per line, sorted by position.
  std::string FormatAll() const;

 private:
  std::string file_;
  std::vector<Diagnostic> errors_;
};

}  // namespace superd
