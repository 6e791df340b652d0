// A static Linux program for the image that wasmlet-oci hands to runc.
#include <stdio.h>

int main(void) {
  printf("hello from native\n");
  return 0;
}
