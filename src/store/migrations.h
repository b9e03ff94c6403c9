/* migrations.h - numbered schema migrations, run in order at start-up.
 * PRAGMA user_version holds the number of migrations applied. Append new
 * migrations; never edit one that has shipped. */
#ifndef CB_MIGRATIONS_H
#define CB_MIGRATIONS_H

extern const char *const cb_migrations[];
extern const int cb_migrations_count;

#endif
