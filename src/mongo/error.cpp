// SPDX-License-Identifier: Apache-2.0
#include "reel/mongo/error.hpp"

#include <string>

namespace reel::mongo {

namespace {
class mongo_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "reel.mongo"; }
  std::string message(int code) const override {
    return "libmongoc error code " + std::to_string(code);
  }
};
}  // namespace

const std::error_category& category() noexcept {
  static const mongo_category c;
  return c;
}

error::error(std::string id, std::string where, const std::string& message, std::uint32_t domain,
             std::uint32_t code, error_kind kind)
    : reel::error(
          std::move(id), std::move(where),
          message + " (domain=" + std::to_string(domain) + " code=" + std::to_string(code) + ")"),
      domain_(domain),
      code_(code),
      kind_(kind) {}

}  // namespace reel::mongo
