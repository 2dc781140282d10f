// `watch` (SPEC "Top-level keys"; issue 11 item 3): superd reloads by
// itself when a file of its table changes, however the change is made
// (an editor's write-aside-and-rename, a rewrite in place, a new or
// removed drop-in), once the change has settled; a broken save is logged
// and changes nothing; `watch: false` leaves the table to SIGHUP.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "harness.hpp"

namespace e2e {
namespace {

// An editor's save: the new text written aside, then renamed over.
void SaveByRename(const std::string& path, const std::string& text) {
  const std::string aside = path + ".swp";
  std::ofstream(aside, std::ios::trunc) << text;
  ASSERT_EQ(std::rename(aside.c_str(), path.c_str()), 0) << std::strerror(errno);
}

// update-inetd's save when /tmp is another file system: in place.
void SaveInPlace(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

class Watch : public ::testing::Test {
 protected:
  void SetUp() override {
    superd_.Watching();
    kept_ = PickPort();
    added_ = PickPort();
    drop_in_ = PickPort();
  }
  std::string EchoEntry(const std::string& name, uint16_t port) {
    return ServiceEntry(name, "127.0.0.1:" + Str(port), ServiceBinary("echo"));
  }
  std::string Table(const std::string& top, const std::string& services) {
    return top + "services:\n" + EchoEntry("kept", kept_) + services;
  }

  Superd superd_;
  uint16_t kept_ = 0, added_ = 0, drop_in_ = 0;
};

TEST_F(Watch, AnEditorsSaveIsServedWithoutASignal) {
  superd_.WriteTable(Table("", ""));
  ASSERT_TRUE(superd_.Start());
  SaveByRename(superd_.table_path(), Table("", EchoEntry("added", added_)));
  EXPECT_TRUE(EventuallyEchoes(added_));
  EXPECT_TRUE(superd_.WaitForLog("info: superd: the table's files changed"));
  EXPECT_EQ(PingReply(kept_), "ping\n");
  // And removed again the same way.
  SaveByRename(superd_.table_path(), Table("", ""));
  EXPECT_TRUE(EventuallyEchoes(added_, false));
}

TEST_F(Watch, ARewriteInPlaceIsServed) {
  superd_.WriteTable(Table("", ""));
  ASSERT_TRUE(superd_.Start());
  SaveInPlace(superd_.table_path(), Table("", EchoEntry("added", added_)));
  EXPECT_TRUE(EventuallyEchoes(added_));
}

TEST_F(Watch, ABrokenSaveIsLoggedAndChangesNothingAndTheFixIsServed) {
  superd_.WriteTable(Table("", ""));
  ASSERT_TRUE(superd_.Start());
  SaveByRename(superd_.table_path(),
               Table("", EchoEntry("added", added_) + "    max_instances: many\n"));
  ASSERT_TRUE(superd_.WaitForLog("error: superd: reload abandoned: " + superd_.table_path() +
                                 ":[0-9]+:[0-9]+: error: max_instances"));
  EXPECT_EQ(PingReply(kept_), "ping\n");
  EXPECT_EQ(PingReply(added_), "");
  SaveByRename(superd_.table_path(), Table("", EchoEntry("added", added_)));
  EXPECT_TRUE(EventuallyEchoes(added_));
}

TEST_F(Watch, ANewDropInIsServedAndARemovedOneStops) {
  superd_.WriteTable(Table("include: [\"conf.d/*.yaml\"]\n", ""));
  ASSERT_EQ(mkdir((superd_.dir() + "/conf.d").c_str(), 0755), 0);
  ASSERT_TRUE(superd_.Start());
  const std::string drop_in = superd_.dir() + "/conf.d/drop-in.yaml";
  SaveByRename(drop_in, "services:\n" + EchoEntry("drop-in", drop_in_));
  EXPECT_TRUE(EventuallyEchoes(drop_in_));
  // Other names in the directory are not the table's: nothing is
  // reloaded for them, even well past the settling time.
  const size_t reloads = superd_.CountLog("reloading ");
  std::ofstream(superd_.dir() + "/conf.d/notes.txt") << "not a drop-in\n";
  std::ofstream(superd_.dir() + "/conf.d/.drop-in.yaml.swp") << "an editor's\n";
  usleep(1000 * 1000);
  EXPECT_EQ(superd_.CountLog("reloading "), reloads);
  ASSERT_EQ(unlink(drop_in.c_str()), 0);
  EXPECT_TRUE(EventuallyEchoes(drop_in_, false));
  EXPECT_EQ(PingReply(kept_), "ping\n");
}

// A drop-in directory that does not exist at the start is awaited in the
// nearest directory above it that does: each level made is a reload that
// watches it, and the drop-in put there last is served.
TEST_F(Watch, ADropInDirectoryMadeAfterTheStartIsWatched) {
  superd_.WriteTable(Table("include: [\"drop/conf.d/*.yaml\"]\n", ""));
  ASSERT_TRUE(superd_.Start());
  ASSERT_EQ(mkdir((superd_.dir() + "/drop").c_str(), 0755), 0);
  ASSERT_TRUE(superd_.WaitForLogCount("reloaded: ", 1));
  ASSERT_EQ(mkdir((superd_.dir() + "/drop/conf.d").c_str(), 0755), 0);
  ASSERT_TRUE(superd_.WaitForLogCount("reloaded: ", 2));
  SaveByRename(superd_.dir() + "/drop/conf.d/drop-in.yaml",
               "services:\n" + EchoEntry("drop-in", drop_in_));
  EXPECT_TRUE(EventuallyEchoes(drop_in_));
  EXPECT_EQ(PingReply(kept_), "ping\n");
}

// Removed (an admin's rm -r, or an empty directory's rmdir) and made
// again: still watched.
TEST_F(Watch, ADropInDirectoryRemovedAndMadeAgainIsStillWatched) {
  superd_.WriteTable(Table("include: [\"conf.d/*.yaml\"]\n", ""));
  const std::string dir = superd_.dir() + "/conf.d";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_TRUE(superd_.Start());
  ASSERT_EQ(rmdir(dir.c_str()), 0);
  ASSERT_TRUE(superd_.WaitForLogCount("reloaded: ", 1));
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_TRUE(superd_.WaitForLogCount("reloaded: ", 2));
  SaveByRename(dir + "/drop-in.yaml", "services:\n" + EchoEntry("drop-in", drop_in_));
  EXPECT_TRUE(EventuallyEchoes(drop_in_));
}

// A table kept elsewhere (configuration management) and linked to: an
// edit of the file the link names is seen.
TEST_F(Watch, AnEditOfTheFileATableLinkNamesIsServed) {
  const std::string elsewhere = superd_.dir() + "/elsewhere";
  ASSERT_EQ(mkdir(elsewhere.c_str(), 0755), 0);
  const std::string real = elsewhere + "/superd.yaml";
  superd_.WriteTable(Table("", ""));
  ASSERT_EQ(std::rename(superd_.table_path().c_str(), real.c_str()), 0);
  ASSERT_EQ(symlink(real.c_str(), superd_.table_path().c_str()), 0);
  ASSERT_TRUE(superd_.Start());
  SaveByRename(real, Table("", EchoEntry("added", added_)));
  EXPECT_TRUE(EventuallyEchoes(added_));
}

TEST_F(Watch, WatchFalseLeavesTheTableToSighup) {
  superd_.WriteTable(Table("watch: false\n", ""));
  ASSERT_TRUE(superd_.Start());
  SaveByRename(superd_.table_path(), Table("watch: false\n", EchoEntry("added", added_)));
  // Well past the settling time: not served, nothing reloaded.
  usleep(1500 * 1000);
  EXPECT_EQ(PingReply(added_), "");
  EXPECT_EQ(superd_.CountLog("reloading "), 0u);
  ASSERT_EQ(kill(superd_.pid(), SIGHUP), 0);
  EXPECT_TRUE(EventuallyEchoes(added_));
}

TEST_F(Watch, TurningWatchOnByAReloadWatchesFromThenOn) {
  superd_.WriteTable(Table("watch: false\n", ""));
  ASSERT_TRUE(superd_.Start());
  SaveByRename(superd_.table_path(), Table("", ""));
  ASSERT_EQ(kill(superd_.pid(), SIGHUP), 0);
  ASSERT_TRUE(superd_.WaitForLog("reloaded: "));
  SaveByRename(superd_.table_path(), Table("", EchoEntry("added", added_)));
  EXPECT_TRUE(EventuallyEchoes(added_));
}

}  // namespace
}  // namespace e2e
