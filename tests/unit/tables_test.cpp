// Fixture runner for tests/tables/: every *.yaml there is loaded with
// LoadTable, and the diagnostics must be exactly the ones its leading comment
// states, position and message:
//
//   # expect: 7:5: unknown key 'colour' in service 'echo'
//   # expect: valid
//
// `0:0` stands for a diagnostic without a position. A new case is a new file.
#include "table_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace superd {
namespace {

namespace fs = std::filesystem;

using Expected = std::multiset<std::tuple<int, int, std::string>>;

struct Expectations {
  bool valid = false;
  Expected diagnostics;
  std::vector<std::string> malformed;  // `# expect:` lines that do not parse
};

// "LINE:COLUMN: MESSAGE" -> its parts; false if it is not of that form.
bool ParseDiagnostic(const std::string& text, int& line, int& column,
                     std::string& message) {
  size_t first = text.find(':');
  size_t second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos || second + 1 >= text.size() ||
      text[second + 1] != ' ')
    return false;
  const std::string l = text.substr(0, first);
  const std::string c = text.substr(first + 1, second - first - 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
      return std::isdigit(ch);
    });
  };
  message = text.substr(second + 2);
  if (!digits(l) || !digits(c) || message.empty()) return false;
  line = std::stoi(l);
  column = std::stoi(c);
  return true;
}

// The `# expect:` lines of the comment block that opens the file.
Expectations ReadExpectations(const fs::path& path) {
  static const std::string kPrefix = "# expect:";
  Expectations out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line) && line.starts_with("#")) {
    if (!line.starts_with(kPrefix)) continue;
    std::string rest = line.substr(kPrefix.size());
    rest.erase(0, rest.find_first_not_of(' '));
    rest.erase(rest.find_last_not_of(" \r") + 1);
    int l, c;
    std::string message;
    if (rest == "valid")
      out.valid = true;
    else if (ParseDiagnostic(rest, l, c, message))
      out.diagnostics.emplace(l, c, message);
    else
      out.malformed.push_back(line);
  }
  return out;
}

std::string Describe(const Expected& set) {
  std::ostringstream out;
  for (const auto& [line, column, message] : set)
    out << "  " << line << ":" << column << ": " << message << "\n";
  return set.empty() ? "  (none)\n" : out.str();
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(SUPERD_TABLES_DIR))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// "listen_port_zero.yaml" -> "listen_port_zero" (gtest names are [A-Za-z0-9_]).
std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class TableFixture : public testing::TestWithParam<std::string> {};

TEST_P(TableFixture, ReportsExactlyTheExpectedDiagnostics) {
  const fs::path path = fs::path(SUPERD_TABLES_DIR) / GetParam();
  const Expectations expect = ReadExpectations(path);
  ASSERT_TRUE(expect.malformed.empty())
      << "malformed expectation: " << expect.malformed.front();
  ASSERT_NE(expect.valid, !expect.diagnostics.empty())
      << GetParam() << " must open with either '# expect: valid' or one "
                       "'# expect: LINE:COLUMN: MESSAGE' line per diagnostic";

  const LoadResult result = LoadTable(path.string());
  Expected actual;
  for (const Diagnostic& d : result.diagnostics.errors())
    actual.emplace(d.position.line, d.position.column, d.message);

  EXPECT_EQ(actual, expect.diagnostics)
      << "expected:\n" << Describe(expect.diagnostics)
      << "actual:\n" << Describe(actual);
  EXPECT_EQ(result.table.has_value(), expect.valid)
      << "a table is returned exactly when there is no diagnostic";
}

INSTANTIATE_TEST_SUITE_P(Tables, TableFixture,
                         testing::ValuesIn(FixtureNames()), TestName);

// The directory is found and holds the cases the loader is held to.
TEST(TableFixtures, AtLeastThirtyFiveBrokenAndSomeValid) {
  int broken = 0, valid = 0;
  for (const std::string& name : FixtureNames()) {
    const Expectations e =
        ReadExpectations(fs::path(SUPERD_TABLES_DIR) / name);
    (e.valid ? valid : broken) += 1;
  }
  EXPECT_GE(broken, 35);
  EXPECT_GE(valid, 3);
}

TEST(LoadTable, UnreadableFileIsOneDiagnosticWithoutPosition) {
  const LoadResult result =
      LoadTable(std::string(SUPERD_TABLES_DIR) + "/no-such-table.yaml");
  ASSERT_EQ(result.diagnostics.errors().size(), 1u);
  const Diagnostic& d = result.diagnostics.errors().front();
  EXPECT_EQ(d.position.line, 0);
  EXPECT_EQ(d.message, "unable to read the table: No such file or directory");
  EXPECT_FALSE(result.table.has_value());
}

}  // namespace
}  // namespace superd
