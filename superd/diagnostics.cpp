#include "diagnostics.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace superd {

void Diagnostics::Add(std::vector<Diagnostic>& to, Diagnostic d) {
  if (d.position.file != nullptr) d.file = *std::exchange(d.position.file, nullptr);
  for (const Diagnostic& e : to) {
    if (e.file == d.file && e.position.line == d.position.line &&
        e.position.column == d.position.column && e.message == d.message)
      return;
  }
  if (std::find(files_.begin(), files_.end(), d.file) == files_.end())
    files_.push_back(d.file);
  to.push_back(std::move(d));
}

void Diagnostics::Error(Position position, std::string message) {
  Add(errors_, {file_, position, std::move(message), false});
}

void Diagnostics::Warning(Position position, std::string message) {
  Add(warnings_, {file_, position, std::move(message), true});
}

void Diagnostics::Merge(const Diagnostics& other) {
  for (const Diagnostic& d : other.errors_) Add(errors_, d);
  for (const Diagnostic& d : other.warnings_) Add(warnings_, d);
}

std::string Diagnostics::Format(const Diagnostic& d) {
  std::string out = d.file;
  if (d.position.line > 0) {
    out += ":" + std::to_string(d.position.line) + ":" +
           std::to_string(d.position.column);
  }
  return out + (d.warning ? ": warning: " : ": error: ") + d.message;
}

std::string Diagnostics::FormatAll() const {
  std::vector<Diagnostic> sorted = errors_;
  sorted.insert(sorted.end(), warnings_.begin(), warnings_.end());
  auto rank = [this](const Diagnostic& d) {
    return std::find(files_.begin(), files_.end(), d.file) - files_.begin();
  };
  std::stable_sort(sorted.begin(), sorted.end(), [&](auto& a, auto& b) {
    return std::make_tuple(rank(a), a.position.line, a.position.column) <
           std::make_tuple(rank(b), b.position.line, b.position.column);
  });
  std::string out;
  for (const Diagnostic& d : sorted) out += Format(d) + "\n";
  return out;
}

}  // namespace superd
