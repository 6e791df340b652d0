// The bundled example: greets, reads a file from its preopened directory,
// and writes a report next to it. Run by scripts/example.sh:
//   wasmlet run --dir WORK::/data --env GREETING=hello hello.wasm -- world /data/notes.txt
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* greeting = getenv("GREETING");
  printf("%s, %s! (argc=%d)\n", greeting ? greeting : "hi", argc > 1 ? argv[1] : "stranger", argc);
  if (argc < 3) return 0;

  FILE* in = fopen(argv[2], "r");
  if (!in) {
    perror(argv[2]);
    return 1;
  }
  char line[256];
  int lines = 0, words = 0;
  while (fgets(line, sizeof line, in)) {
    ++lines;
    for (char* w = strtok(line, " \t\n"); w; w = strtok(NULL, " \t\n")) ++words;
  }
  fclose(in);
  printf("%s: %d lines, %d words\n", argv[2], lines, words);

  FILE* out = fopen("/data/report.txt", "w");
  if (!out) {
    perror("/data/report.txt");
    return 1;
  }
  fprintf(out, "%s has %d lines and %d words\n", argv[2], lines, words);
  fclose(out);
  return 0;
}
