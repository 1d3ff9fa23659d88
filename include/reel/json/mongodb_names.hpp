// SPDX-License-Identifier: Apache-2.0
/// \file
/// The names MongoDB's aggregation language and Atlas Stream Processing define: expression
/// operators, `$group` accumulators and pipeline stages. Reel uses them to tell a typo
/// ("unknown ... (did you mean ...?)") from a feature Reel does not have ("... is not supported
/// by Reel"), with distinct ids:
///
/// | what                 | typo                              | known but not in Reel |
/// |----------------------|-----------------------------------|---------------------------------------|
/// | expression operator  | `reel.expression.unknown_operator`|
/// `reel.expression.unsupported_operator`| | accumulator          |
/// `reel.pipeline.unknown_operator`  | `reel.pipeline.unsupported_operator`  | | stage |
/// `reel.pipeline.unknown_stage`     | `reel.pipeline.unsupported_stage`     |
///
/// Sources: the MongoDB manual's aggregation operator and stage references (8.x) and the Atlas
/// Stream Processing stage and operator pages.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>

namespace reel::json {

/// Every aggregation expression operator of MongoDB 8.x and Atlas Stream Processing.
inline std::span<const std::string_view> mongodb_expression_operators() {
  static constexpr std::string_view names[] = {
      // arithmetic
      "$abs", "$add", "$ceil", "$divide", "$exp", "$floor", "$ln", "$log", "$log10", "$mod",
      "$multiply", "$pow", "$round", "$sqrt", "$subtract", "$trunc",
      // array
      "$arrayElemAt", "$arrayToObject", "$concatArrays", "$filter", "$first", "$firstN", "$in",
      "$indexOfArray", "$isArray", "$last", "$lastN", "$map", "$maxN", "$minN", "$objectToArray",
      "$range", "$reduce", "$reverseArray", "$size", "$slice", "$sortArray", "$zip",
      // bitwise
      "$bitAnd", "$bitNot", "$bitOr", "$bitXor",
      // boolean and comparison
      "$and", "$not", "$or", "$cmp", "$eq", "$gt", "$gte", "$lt", "$lte", "$ne",
      // conditional
      "$cond", "$ifNull", "$switch",
      // custom aggregation (JavaScript)
      "$accumulator", "$function",
      // data size
      "$binarySize", "$bsonSize",
      // date
      "$dateAdd", "$dateDiff", "$dateFromParts", "$dateFromString", "$dateSubtract", "$dateToParts",
      "$dateToString", "$dateTrunc", "$dayOfMonth", "$dayOfWeek", "$dayOfYear", "$hour",
      "$isoDayOfWeek", "$isoWeek", "$isoWeekYear", "$millisecond", "$minute", "$month", "$second",
      "$toDate", "$week", "$year",
      // literal, miscellaneous, object
      "$literal", "$getField", "$rand", "$sampleRate", "$toHashedIndexKey", "$mergeObjects",
      "$setField", "$unsetField", "$let",
      // set
      "$allElementsTrue", "$anyElementTrue", "$setDifference", "$setEquals", "$setIntersection",
      "$setIsSubset", "$setUnion",
      // string
      "$concat", "$indexOfBytes", "$indexOfCP", "$ltrim", "$regexFind", "$regexFindAll",
      "$regexMatch", "$replaceOne", "$replaceAll", "$rtrim", "$split", "$strLenBytes", "$strLenCP",
      "$strcasecmp", "$substr", "$substrBytes", "$substrCP", "$toLower", "$toString", "$trim",
      "$toUpper",
      // text, timestamp
      "$meta", "$tsIncrement", "$tsSecond",
      // trigonometry
      "$sin", "$cos", "$tan", "$asin", "$acos", "$atan", "$atan2", "$asinh", "$acosh", "$atanh",
      "$sinh", "$cosh", "$tanh", "$degreesToRadians", "$radiansToDegrees",
      // type
      "$convert", "$isNumber", "$toBool", "$toDecimal", "$toDouble", "$toInt", "$toLong",
      "$toObjectId", "$type", "$toUUID",
      // accumulators usable as expressions
      "$avg", "$max", "$min", "$sum", "$stdDevPop", "$stdDevSamp", "$median", "$percentile", "$top",
      "$topN", "$bottom", "$bottomN",
      // Atlas Stream Processing
      "$currentDate", "$createUUID"};
  return names;
}

/// Every `$group` accumulator of MongoDB 8.x.
inline std::span<const std::string_view> mongodb_accumulators() {
  static constexpr std::string_view names[] = {
      "$accumulator", "$addToSet",     "$avg",  "$bottom", "$bottomN",    "$count",
      "$first",       "$firstN",       "$last", "$lastN",  "$max",        "$maxN",
      "$median",      "$mergeObjects", "$min",  "$minN",   "$percentile", "$push",
      "$stdDevPop",   "$stdDevSamp",   "$sum",  "$top",    "$topN"};
  return names;
}

/// Every aggregation stage of MongoDB 8.x and Atlas Stream Processing.
inline std::span<const std::string_view> mongodb_stages() {
  static constexpr std::string_view names[] = {
      // MongoDB
      "$addFields", "$bucket", "$bucketAuto", "$changeStream", "$changeStreamSplitLargeEvent",
      "$collStats", "$count", "$densify", "$documents", "$facet", "$fill", "$geoNear",
      "$graphLookup", "$group", "$indexStats", "$limit", "$listSampledQueries",
      "$listSearchIndexes", "$listSessions", "$lookup", "$match", "$merge", "$out",
      "$planCacheStats", "$project", "$querySettings", "$queryStats", "$rankFusion", "$redact",
      "$replaceRoot", "$replaceWith", "$sample", "$score", "$scoreFusion", "$search", "$searchMeta",
      "$set", "$setWindowFields", "$skip", "$sort", "$sortByCount", "$unionWith", "$unset",
      "$unwind", "$vectorSearch", "$currentOp", "$listLocalSessions", "$shardedDataDistribution",
      // Atlas Stream Processing
      "$source", "$emit", "$validate", "$tumblingWindow", "$hoppingWindow", "$sessionWindow",
      "$cachedLookup", "$https", "$externalFunction", "$setStreamMeta", "$iceberg"};
  return names;
}

/// True when `name` is in `names`.
inline bool is_listed(std::span<const std::string_view> names, std::string_view name) noexcept {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace reel::json
