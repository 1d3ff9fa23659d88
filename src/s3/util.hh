// SPDX-License-Identifier: Apache-2.0
// Private helpers of reel::s3: small XML reading, gzip (hex and HMAC: reel/aws/sigv4.hpp).
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace reel::s3::detail {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// XML text with `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and `&#N;`/`&#xN;` decoded.
std::string xml_unescape(std::string_view s);
/// The text of the first `<tag>...</tag>` of `xml` (unescaped), or empty.
std::string xml_text(std::string_view xml, std::string_view tag);
/// The texts of every `<tag>...</tag>` of `xml`, in order.
std::vector<std::string> xml_texts(std::string_view xml, std::string_view tag);

/// `data` as a gzip member (RFC 1952) at `level` (1–9). Throws `reel.s3.compression_failed`.
std::string gzip(std::string_view data, int level);

/// 8 random lower-case hex digits.
std::string random_id();

}  // namespace reel::s3::detail
