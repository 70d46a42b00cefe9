/* lib/session.c: process start times and ending a session's leader. The
 * logind path is never taken here: on a desktop it would end the tester's
 * own login session. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cws/session.h"

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        return pid;
}

static void test_start_time(void **state)
{
        uint64_t a = 0, b = 0, c = 0;
        pid_t child;
        (void)state;

        assert_int_equal(cws_process_start_time(getpid(), &a), 0);
        assert_int_equal(cws_process_start_time(getpid(), &b), 0);
        assert_true(a > 0);
        assert_true(a == b);
        child = spawn_sleeper();
        assert_int_equal(cws_process_start_time(child, &c), 0);
        assert_true(c >= a);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        assert_int_equal(cws_process_start_time(child, &c), -ESRCH);
        assert_int_equal(cws_process_start_time(0, &c), -ESRCH);
        assert_int_equal(cws_process_start_time(-1, &c), -ESRCH);
}

static void test_terminate_signals_the_leader(void **state)
{
        cws_session s;
        cws_error err = { 0 };
        int status = 0;
        pid_t child = spawn_sleeper();
        (void)state;

        assert_int_equal(cws_session_init(&s, 1000, child, 42, &err), 0);
        assert_int_equal(s.uid, 1000);
        assert_int_equal(s.pid, child);
        assert_int_equal(s.opened_at, 42);
        assert_int_equal(cws_session_terminate(&s, false, &err), CWS_SESSION_SIGNALLED);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGTERM);
        /* Gone now: nothing to end, nothing signalled. */
        assert_int_equal(cws_session_terminate(&s, false, &err), CWS_SESSION_GONE);
}

static void test_terminate_spares_a_recycled_pid(void **state)
{
        cws_session s;
        cws_error err = { 0 };
        int status = 0;
        pid_t child = spawn_sleeper();
        (void)state;

        assert_int_equal(cws_session_init(&s, 1000, child, 0, &err), 0);
        s.start_time += 1;   /* as if the pid now belonged to another process */
        assert_int_equal(cws_session_terminate(&s, false, &err), CWS_SESSION_GONE);
        usleep(20000);
        assert_int_equal(waitpid(child, &status, WNOHANG), 0);   /* still running */
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
}

static void test_init_of_a_missing_process(void **state)
{
        cws_session s;
        cws_error err = { 0 };
        pid_t child = spawn_sleeper();
        (void)state;

        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        assert_int_equal(cws_session_init(&s, 0, child, 0, &err), -ESRCH);
        assert_non_null(strstr(cws_error_message(&err), "start time"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_time),
                cmocka_unit_test(test_terminate_signals_the_leader),
                cmocka_unit_test(test_terminate_spares_a_recycled_pid),
                cmocka_unit_test(test_init_of_a_missing_process),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
