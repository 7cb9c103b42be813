// The client package installs and works from another project: install this
// build's "client" component into a temporary prefix, configure and build
// client/examples against it with find_package(cairn), and run the example
// against a real cairnd.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/client/client_test_util.h"
#include "tests/client/process.h"

namespace cairn::client_test {
namespace {

using ClientInstallTest = ClientTest;

testing::AssertionResult Succeeds(const std::vector<std::string>& argv) {
  const RunOutput run = RunProcess(argv, EnvironmentWith({}), "", std::chrono::minutes(5));
  if (run.exit_code == 0) return testing::AssertionSuccess();
  std::string command;
  for (const std::string& arg : argv) command += arg + " ";
  return testing::AssertionFailure() << command << "exited " << run.exit_code << "\n"
                                     << run.out << run.err;
}

TEST_F(ClientInstallTest, ExampleBuildsAgainstTheInstalledPackageAndRuns) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TempDir dir;
  const std::string prefix = dir.file("prefix");
  ASSERT_TRUE(Succeeds({CAIRN_CMAKE_COMMAND, "--install", CAIRN_BUILD_DIR, "--prefix", prefix,
                        "--component", "client"}));
  for (const char* file : {"include/cairn/client/client.h", "include/cairn/protocol/request.h",
                           "lib/cmake/cairn/cairnConfig.cmake", "bin/cairn-cli"}) {
    EXPECT_TRUE(std::filesystem::exists(prefix + "/" + file)) << file;
  }

  const std::string build = dir.file("build");
  ASSERT_TRUE(Succeeds({CAIRN_CMAKE_COMMAND, "-S", CAIRN_EXAMPLE_DIR, "-B", build,
                        "-DCMAKE_PREFIX_PATH=" + prefix,
                        std::string("-DCMAKE_CXX_COMPILER=") + CAIRN_CXX_COMPILER,
                        std::string("-DCMAKE_CXX_FLAGS=") + CAIRN_EXAMPLE_FLAGS,
                        std::string("-DCMAKE_EXE_LINKER_FLAGS=") + CAIRN_EXAMPLE_FLAGS}));
  ASSERT_TRUE(Succeeds({CAIRN_CMAKE_COMMAND, "--build", build}));

  const RunOutput run =
      RunProcess({build + "/cairn-example", "127.0.0.1", std::to_string(server_->port())},
                 EnvironmentWith({{"CAIRN_AUTH_TOKEN", std::nullopt}}));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("pipelined 1000 puts"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("scanned 3 keys; server holds 1003 keys"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace cairn::client_test
