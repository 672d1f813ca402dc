#pragma once
namespace amnl {
// Set by CMake from project(VERSION).
inline constexpr const char* kVersion = AMNL_VERSION_STRING;
}  // namespace amnl
