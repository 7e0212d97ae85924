/*
 * idle-holder: starts N idle child processes (fork, then pause) for /proc scan benchmarks, prints "ready" once
 * all exist, and on SIGTERM or SIGINT kills exactly those children, reaps them and exits. The same holder-and-reap
 * pattern as the anchors' spawn-idle.sh, about a hundred times faster to start and stop 5,000 processes on a
 * loaded 2-vCPU VM (fork from a small process, no shell, no exec).
 * Each child also dies with the holder (PR_SET_PDEATHSIG) and after IDLE_SECONDS (alarm), so none outlives a run.
 * Build: cc -O2 -Wall -Wextra -o idle-holder idle-holder.c     Usage: idle-holder N [IDLE_SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	unsigned secs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3600;
	if (n <= 0 || n > 100000) { fprintf(stderr, "usage: idle-holder N [IDLE_SECONDS]\n"); return 2; }
	pid_t *kids = calloc((size_t)n, sizeof *kids);
	if (kids == NULL) return 1;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pid_t self = getpid();
	long made = 0;
	for (; made < n && !stop; made++) {
		pid_t pid = fork();
		if (pid < 0) { perror("idle-holder: fork"); break; }
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self) _exit(0); /* the holder died before prctl */
			alarm(secs);
			for (;;) pause();
		}
		kids[made] = pid;
	}
	printf("ready %ld\n", made);
	fflush(stdout);
	while (!stop) pause();
	for (long i = 0; i < made; i++) kill(kids[i], SIGKILL);
	for (long i = 0; i < made; i++) waitpid(kids[i], NULL, 0);
	return 0;
}
