// Times, hard links and symlinks in a preopen; the same output is expected
// as a preview1 module and as a component (wasi:filesystem set-times,
// set-times-at, link-at, symlink-at, readlink-at).
// Preopen: /data (read-write, empty).
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  FILE* f = fopen("/data/file.txt", "w");
  if (!f) { printf("cannot create /data/file.txt\n"); return 2; }
  fputs("content\n", f);
  fclose(f);

  // set-times-at (by path), then set-times (through an open descriptor).
  struct timespec by_path[2] = {{1000000000, 0}, {1234567890, 500}};
  printf("utimensat: %d\n", utimensat(AT_FDCWD, "/data/file.txt", by_path, 0));
  struct stat st;
  stat("/data/file.txt", &st);
  printf("mtime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  int fd = open("/data/file.txt", O_RDWR);
  struct timespec by_fd[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  printf("futimens: %d\n", futimens(fd, by_fd));
  close(fd);
  stat("/data/file.txt", &st);
  printf("mtime %lld.%09ld atime %lld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
         (long long)st.st_atim.tv_sec);

  printf("link: %d\n", link("/data/file.txt", "/data/hard.txt"));
  stat("/data/file.txt", &st);
  printf("nlink %d\n", (int)st.st_nlink);
  printf("symlink: %d\n", symlink("file.txt", "/data/soft.txt"));
  char target[64] = {0};
  printf("readlink: %d %s\n", (int)readlink("/data/soft.txt", target, sizeof target - 1), target);
  f = fopen("/data/soft.txt", "r");
  char line[32] = {0};
  if (f && fgets(line, sizeof line, f)) printf("through the symlink: %s", line);
  if (f) fclose(f);
  // Outside the preopen: an absolute target, and a link into the parent.
  printf("absolute symlink: %s\n", symlink("/etc/passwd", "/data/abs") == 0 ? "created" : "refused");
  printf("link out: %s\n", link("/data/file.txt", "/data/../hard.txt") == 0 ? "created" : "refused");
  return 0;
}
