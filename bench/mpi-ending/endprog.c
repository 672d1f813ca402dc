/* Measures how an Open MPI job across namespace nodes can be ended.
 * argv: R0MODE CODE WMODE DIR
 *   R0MODE: finalize (MPI_Finalize; exit(CODE)) | abort (MPI_Abort(WORLD, CODE)) | exit (_exit(CODE))
 *           | termparent / termparentfin (SIGTERM to mpirun, its parent; then _exit / MPI_Finalize+exit)
 *           | killparent (SIGKILL to mpirun; _exit) | termkillparent (SIGTERM, 3 s, SIGKILL; _exit)
 *   WMODE (what survivors do on "stop"): finalize (MPI_Finalize; exit 0) | exit (_exit(0)) | idle (ignore stop, keep receiving)
 * Every worker sends rank 0 a heartbeat each second. Rank 0 writes DIR/ready (rank hostnames),
 * waits for DIR/go (the driver crashed/partitioned a node), reads DIR/skip (host whose ranks not to
 * address), sends stop to the others, waits 1 s, writes DIR/r0end (CLOCK_REALTIME) and ends. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <signal.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void nap(int ms) { struct timespec t = {ms / 1000, (ms % 1000) * 1000000L}; nanosleep(&t, 0); }
static int exists(const char *p) { struct stat s; return stat(p, &s) == 0; }

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  const char *r0mode = argv[1]; int code = atoi(argv[2]); const char *wmode = argv[3]; const char *dir = argv[4];
  char host[64] = {0}; gethostname(host, sizeof host - 1);
  char *all = malloc(64 * size);
  MPI_Allgather(host, 64, MPI_CHAR, all, 64, MPI_CHAR, MPI_COMM_WORLD);
  char path[512];
  if (rank == 0) {
    snprintf(path, sizeof path, "%s/ready", dir); FILE *f = fopen(path, "w");
    for (int r = 0; r < size; ++r) fprintf(f, "%d %s\n", r, all + 64 * r);
    fclose(f);
    snprintf(path, sizeof path, "%s/go", dir);
    int hb = 0, flag; MPI_Status st;
    while (!exists(path)) {
      MPI_Iprobe(MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, &flag, &st);
      if (flag) { MPI_Recv(&hb, 1, MPI_INT, st.MPI_SOURCE, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE); continue; }
      nap(20);
    }
    char skip[64] = "none"; snprintf(path, sizeof path, "%s/skip", dir);
    FILE *s = fopen(path, "r"); if (s) { if (fscanf(s, "%63s", skip) != 1) strcpy(skip, "none"); fclose(s); }
    int stop = 1;
    for (int r = 1; r < size; ++r)
      if (strcmp(all + 64 * r, skip) != 0) MPI_Send(&stop, 1, MPI_INT, r, 2, MPI_COMM_WORLD);
    double until = now() + 1.0;
    while (now() < until) {   /* drain heartbeats for a second, like a coordinator would */
      MPI_Iprobe(MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, &flag, &st);
      if (flag) MPI_Recv(&hb, 1, MPI_INT, st.MPI_SOURCE, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE); else nap(20);
    }
    snprintf(path, sizeof path, "%s/r0end", dir); FILE *e = fopen(path, "w"); fprintf(e, "%.3f\n", now()); fclose(e);
    fflush(stdout);
    if (!strcmp(r0mode, "abort")) MPI_Abort(MPI_COMM_WORLD, code);
    if (!strcmp(r0mode, "killparent")) { kill(getppid(), SIGKILL); _exit(code); }
    if (!strcmp(r0mode, "termkillparent")) { kill(getppid(), SIGTERM); sleep(3); kill(getppid(), SIGKILL); _exit(code); }
    if (!strcmp(r0mode, "termparent")) { kill(getppid(), SIGTERM); _exit(code); }
    if (!strcmp(r0mode, "termparentfin")) { kill(getppid(), SIGTERM); MPI_Finalize(); exit(code); }
    if (!strcmp(r0mode, "exit")) _exit(code);
    MPI_Finalize(); exit(code);
  }
  int stop = 0, flag = 0; MPI_Request rq; MPI_Irecv(&stop, 1, MPI_INT, 0, 2, MPI_COMM_WORLD, &rq);
  double next = 0; int hb = rank;
  for (;;) {
    if (now() >= next) { MPI_Request h; MPI_Isend(&hb, 1, MPI_INT, 0, 1, MPI_COMM_WORLD, &h); MPI_Request_free(&h); next = now() + 1.0; }
    if (!flag) { MPI_Test(&rq, &flag, MPI_STATUS_IGNORE); }
    if (flag && strcmp(wmode, "idle") != 0) break;
    nap(50);
  }
  if (!strcmp(wmode, "exit")) _exit(0);
  MPI_Finalize(); return 0;
}
