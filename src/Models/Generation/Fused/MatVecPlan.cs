namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// One or more products that read the same step's input (q, k and v; gate and up) run as one parallel call over their
/// combined rows. Buffers are the engine's fixed scratch, so the row partition is computed once; only the number of
/// inputs changes between calls. Small products run on the calling thread: for a tiny model, waking workers would cost
/// more than the arithmetic.
/// </summary>
internal sealed unsafe class MatVecPlan
{
    /// <summary>Multiply-adds per input below which a call stays on one thread (≈ 0.1 ms of work on one core).</summary>
    private const long ParallelMultiplyAdds = 1 << 18;
    private const int MinimumRowsPerChunk = 16;

    private readonly Product[] _products;
    private readonly Chunk[] _chunks;
    private readonly bool _parallel;

    public MatVecPlan(params Product[] products)
    {
        _products = products;
        long work = products.Sum(p => (long)p.Weight.Rows * p.Weight.Columns);
        _parallel = Environment.ProcessorCount > 1 && work >= ParallelMultiplyAdds;
        // A few chunks per core, so a core slowed by a neighbour's process hands its share to the others.
        int perProduct = _parallel ? Environment.ProcessorCount * 4 : 1;
        var chunks = new List<Chunk>();
        for (int p = 0; p < products.Length; p++)
        {
            int rows = products[p].Weight.Rows;
            int pieces = Math.Max(1, Math.Min(perProduct, rows / MinimumRowsPerChunk));
            for (int c = 0; c < pieces; c++) chunks.Add(new Chunk(p, (int)((long)rows * c / pieces), (int)((long)rows * (c + 1) / pieces)));
        }
        _chunks = [.. chunks];
    }

    public void Run(int inputs)
    {
        if (!_parallel)
        {
            foreach (var chunk in _chunks) RunChunk(chunk, inputs);
            return;
        }
        Parallel.For(0, _chunks.Length, c => RunChunk(_chunks[c], inputs));
    }

    private void RunChunk(Chunk chunk, int inputs)
    {
        var p = _products[chunk.Product];
        MatVec.Rows(p.Weight, chunk.Start, chunk.End, p.Input, inputs, p.Output, p.Weight.Rows, p.Bias);
    }

    /// <summary>output[i, :] = Weight · input[i, :] (+ Bias), with output rows Weight.Rows apart.</summary>
    public readonly struct Product(WeightMatrix weight, float* input, float* output, float* bias = null)
    {
        public WeightMatrix Weight { get; } = weight;
        public float* Input { get; } = input;
        public float* Output { get; } = output;
        public float* Bias { get; } = bias;
    }

    private readonly record struct Chunk(int Product, int Start, int End);
}
