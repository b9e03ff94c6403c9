/* safename.h - characters a file name shown to people must not hold.
 *
 * Control characters (C0, DEL, C1) and the bidirectional formatting
 * characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) can make
 * "invoice_\u202Efdp.exe" read as "invoice_exe.pdf" in a browser, a mail
 * client or a terminal. Uploads refuse such names; names that arrive by
 * mail are cleaned (each such character becomes '_'). */
#ifndef CB_SAFENAME_H
#define CB_SAFENAME_H
#include <stddef.h>

/* The length in bytes of the unsafe character starting at s (valid UTF-8),
 * or 0 when the character there is safe (or s is at its end). */
size_t cb_name_unsafe_at(const char *s);
/* 1 when the NUL-terminated UTF-8 string s holds an unsafe character. */
int cb_name_has_unsafe(const char *s);
/* Replaces each unsafe character of s with '_' in place. */
void cb_name_clean(char *s);

#endif
