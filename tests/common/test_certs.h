// Test certificates made with the `openssl` command at test time (EC P-256,
// valid 30 days), so no key is ever committed:
//   MakeCa(dir, "ca")             dir/ca.pem, dir/ca.key: a self-signed CA
//   MakeCert(dir, "server", "ca") dir/server.pem, dir/server.key: signed by
//                                 dir/ca.*, for localhost and 127.0.0.1
//                                 (subjectAltName), usable by servers and
//                                 clients alike
// MakeTestPki(dir) makes the usual set: ca, other_ca (signs nothing cairnd
// knows), server and client (both signed by ca).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace cairn::test {

// Runs a shell command with its output in dir/openssl.log; fails naming it.
inline testing::AssertionResult RunOpenssl(const std::string& dir, const std::string& command) {
  const std::string line = "cd '" + dir + "' && { " + command + "; } >>openssl.log 2>&1";
  if (std::system(line.c_str()) == 0) return testing::AssertionSuccess();
  std::ifstream log(dir + "/openssl.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  return testing::AssertionFailure() << "failed: " << command << "\n" << text;
}

inline testing::AssertionResult MakeCa(const std::string& dir, const std::string& name) {
  return RunOpenssl(dir,
                    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                    "-nodes -days 30 -keyout " +
                        name + ".key -out " + name + ".pem -subj '/CN=Cairn test " + name + "'");
}

inline testing::AssertionResult MakeCert(const std::string& dir, const std::string& name,
                                         const std::string& ca) {
  return RunOpenssl(
      dir, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
               ".key -out " + name + ".csr -subj '/CN=localhost' && printf '%s\\n' " +
               "'subjectAltName=DNS:localhost,IP:127.0.0.1' > " + name +
               ".ext && openssl x509 -req -days 30 -in " + name + ".csr -CA " + ca +
               ".pem -CAkey " + ca + ".key -CAcreateserial -extfile " + name + ".ext -out " + name +
               ".pem");
}

inline testing::AssertionResult MakeTestPki(const std::string& dir) {
  testing::AssertionResult made = MakeCa(dir, "ca");
  if (made) made = MakeCa(dir, "other_ca");
  if (made) made = MakeCert(dir, "server", "ca");
  if (made) made = MakeCert(dir, "client", "ca");
  return made;
}

}  // namespace cairn::test
