using System.Runtime.CompilerServices;

// The NTT and the error-sampler seam are internal; the tests check them against schoolbook arithmetic and worst-case noise.
[assembly: InternalsVisibleTo("FedLlm.Tests")]
