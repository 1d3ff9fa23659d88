// SPDX-License-Identifier: Apache-2.0
// AWS Signature Version 4 (reel/aws/sigv4.hpp), OpenSSL for the hashes.
#include "reel/aws/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace reel::aws {

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (c == '/' && !encode_slash);
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name, true);
    value = uri_encode(value, true);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = hex[data[i] >> 4];
    out[2 * i + 1] = hex[data[i] & 0xF];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return to_hex(digest, sizeof digest);
}

std::string canonical_uri(std::string_view path_as_sent) {
  if (path_as_sent.empty()) return "/";
  return uri_encode(path_as_sent, false);
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[17];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &utc);
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim_squeeze(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

/// Lower-cased, trimmed, sorted headers; duplicates joined with ','.
std::vector<std::pair<std::string, std::string>> canonical_headers(const sigv4_request& r) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [name, value] : r.headers) {
    h.emplace_back(lower(name), trim_squeeze(value));
  }
  std::stable_sort(h.begin(), h.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [name, value] : h) {
    if (!out.empty() && out.back().first == name) {
      out.back().second += ',' + value;
    } else {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

std::string signed_header_names(const std::vector<std::pair<std::string, std::string>>& h) {
  std::string out;
  for (const auto& [name, value] : h) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

}  // namespace

std::string canonical_request(const sigv4_request& r) {
  const auto headers = canonical_headers(r);
  std::string out = r.method + '\n' + r.canonical_uri + '\n' + r.canonical_query + '\n';
  for (const auto& [name, value] : headers) {
    out += name + ':' + value + '\n';
  }
  out += '\n' + signed_header_names(headers) + '\n' + r.payload_hash;
  return out;
}

std::string credential_scope(const sigv4_request& r) {
  return r.amz_date.substr(0, 8) + '/' + r.region + '/' + r.service + "/aws4_request";
}

std::string string_to_sign(const sigv4_request& r) {
  return "AWS4-HMAC-SHA256\n" + r.amz_date + '\n' + credential_scope(r) + '\n' +
         sha256_hex(canonical_request(r));
}

std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service) {
  std::string key = hmac_sha256("AWS4" + std::string(secret_access_key), date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  return hmac_sha256(key, "aws4_request");
}

std::string signature(const sigv4_request& r) {
  const std::string key =
      signing_key(r.secret_access_key, r.amz_date.substr(0, 8), r.region, r.service);
  const std::string mac = hmac_sha256(key, string_to_sign(r));
  return to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::string signed_headers(const sigv4_request& r) {
  return signed_header_names(canonical_headers(r));
}

std::string authorization(const sigv4_request& r) {
  return "AWS4-HMAC-SHA256 Credential=" + r.access_key_id + '/' + credential_scope(r) +
         ", SignedHeaders=" + signed_headers(r) + ", Signature=" + signature(r);
}

}  // namespace reel::aws
