/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Enums with string helpers, as vAccel declares them. A list macro names
 * each item once, with or without a value:
 *
 *   #define MY_LIST(ITEM) ITEM(A, 1, MY) ITEM(B, MY)
 *   VACCEL_ENUM_DEF_WITH_STR_FUNCS(my, MY, MY_LIST)
 *
 * gives `typedef enum { MY_A = 1, MY_B, MY_MAX } my_t;` and two static
 * inline functions: my_to_str(MY_A) = "MY_A" and my_to_base_str(MY_A) =
 * "A", with "MY_MAX" and "MAX" for values outside the list.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* Picks the three-argument form (name, value, prefix) or the two-argument
 * one (name, prefix). */
#define VACCEL_ENUM_GET_MACRO(_1, _2, _3, NAME, ...) NAME

#define VACCEL_ENUM_ITEM_NO_VALUE(name, prefix) prefix##_##name
#define VACCEL_ENUM_ITEM_WITH_VALUE(name, value, prefix) prefix##_##name = value
#define VACCEL_ENUM_ITEM(...)                                                  \
	VACCEL_ENUM_GET_MACRO(__VA_ARGS__, VACCEL_ENUM_ITEM_WITH_VALUE,        \
			      VACCEL_ENUM_ITEM_NO_VALUE, )                     \
	(__VA_ARGS__),

#define VACCEL_ENUM_STR(name, prefix) #prefix "_" #name

#define VACCEL_ENUM_STR_CASE_NO_VALUE(name, prefix)                            \
	case prefix##_##name:                                                  \
		return VACCEL_ENUM_STR(name, prefix);
#define VACCEL_ENUM_STR_CASE_WITH_VALUE(name, value, prefix)                   \
	VACCEL_ENUM_STR_CASE_NO_VALUE(name, prefix)
#define VACCEL_ENUM_STR_CASE(...)                                              \
	VACCEL_ENUM_GET_MACRO(__VA_ARGS__, VACCEL_ENUM_STR_CASE_WITH_VALUE,    \
			      VACCEL_ENUM_STR_CASE_NO_VALUE, )                 \
	(__VA_ARGS__)

#define VACCEL_ENUM_BASE_STR_CASE_NO_VALUE(name, prefix)                       \
	case prefix##_##name:                                                  \
		return #name;
#define VACCEL_ENUM_BASE_STR_CASE_WITH_VALUE(name, value, prefix)              \
	VACCEL_ENUM_BASE_STR_CASE_NO_VALUE(name, prefix)
#define VACCEL_ENUM_BASE_STR_CASE(...)                                         \
	VACCEL_ENUM_GET_MACRO(__VA_ARGS__,                                     \
			      VACCEL_ENUM_BASE_STR_CASE_WITH_VALUE,            \
			      VACCEL_ENUM_BASE_STR_CASE_NO_VALUE, )            \
	(__VA_ARGS__)

/* The items, then <prefix>_MAX after the last one. */
#define VACCEL_ENUM_DEF_ITEMS(prefix, LIST)                                    \
	LIST(VACCEL_ENUM_ITEM)                                                 \
	VACCEL_ENUM_ITEM(MAX, prefix)

#define VACCEL_ENUM_DEF_STR_FUNCS(name, prefix, LIST)                          \
	static inline const char *name##_to_str(name##_t value)                \
	{                                                                      \
		switch (value) {                                               \
			LIST(VACCEL_ENUM_STR_CASE)                             \
		default:                                                       \
			return VACCEL_ENUM_STR(MAX, prefix);                   \
		}                                                              \
	}                                                                      \
	static inline const char *name##_to_base_str(name##_t value)           \
	{                                                                      \
		switch (value) {                                               \
			LIST(VACCEL_ENUM_BASE_STR_CASE)                        \
		default:                                                       \
			return "MAX";                                          \
		}                                                              \
	}

#define VACCEL_ENUM_DEF_WITH_STR_FUNCS(name, prefix, LIST)                     \
	typedef enum { VACCEL_ENUM_DEF_ITEMS(prefix, LIST) } name##_t;         \
	VACCEL_ENUM_DEF_STR_FUNCS(name, prefix, LIST)

#ifdef __cplusplus
}
#endif
