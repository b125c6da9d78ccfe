using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FedLlm.Tests.SafeTensors;

public class SafeTensorsPropertyTests
{
    private static readonly SafeTensorDType[] DTypes = SafeTensorDTypes.All.ToArray();

    private sealed record RandomTensor(SafeTensorDType DType, long[] Shape, byte[] Data);

    private static Gen<RandomTensor> TensorGen =>
        from dtype in Gen.Elements(DTypes)
        from rank in Gen.Choose(0, 4)
        from shape in Gen.ArrayOf(Gen.Choose(0, 5).Select(d => (long)d), rank)
        let byteLength = (int)(shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize())
        from data in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), byteLength)
        select new RandomTensor(dtype, shape, data);

    [Property(MaxTest = 60)]
    public Property RandomRawFilesRoundTripExactly() =>
        Prop.ForAll(Gen.ListOf(TensorGen).Select(list => list.Take(6).ToArray()).ToArbitrary(), tensors =>
        {
            using var directory = new TempDirectory();
            string path = directory.File("random.safetensors");
            var entries = tensors.Select((t, i) => new SafeTensorEntry($"t{i}", t.DType, t.Shape, t.Data)).ToArray();
            SafeTensorsWriter.WriteRaw(path, entries);

            using var file = SafeTensorsFile.Open(path);
            Assert.Equal(entries.Length, file.Tensors.Count);
            Assert.Equal(0, file.BufferStart % 8);
            foreach (SafeTensorEntry entry in entries)
            {
                SafeTensorInfo info = file.Tensors[entry.Name];
                Assert.Equal(entry.DType, info.DType);
                Assert.Equal(entry.Shape, info.Shape);
                var read = new byte[info.ByteLength];
                file.ReadBytes(entry.Name, read);
                Assert.Equal(entry.Data.ToArray(), read);
                if (entry.DType.TryToScalarType(out _))
                {
                    using TorchSharp.torch.Tensor tensor = file.ReadTensor(entry.Name);
                    Assert.Equal(entry.Shape, tensor.shape);
                    using TorchSharp.torch.Tensor packed = tensor.contiguous();
                    Assert.Equal(entry.Data.ToArray(), packed.bytes.ToArray());
                }
            }
        });
}
