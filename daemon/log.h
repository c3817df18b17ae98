/* log: one line per event on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with its syslog
 * priority, "<3>" for errors, so the journal keeps the level; otherwise
 * lines are plain. Debug lines are printed only after log_init(verbose=1).
 * The level and the format flag are process-wide by nature: stderr is. */
#ifndef HERALD_LOG_H
#define HERALD_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(int verbose);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
