using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class NegacyclicNttTests
{
    public static TheoryData<int, double> Rings => new()
    {
        { 1024, 20 },
        { 1024, 60 },
        { 2048, 40 },
        { 4096, 30 },
    };

    [Theory]
    [MemberData(nameof(Rings))]
    public void ProductViaNttEqualsSchoolbookNegacyclicProduct(int ringDegree, double primeBits)
    {
        ulong p = ModularArithmetic.FindNttPrimeAtLeast((UInt128)Math.Pow(2, primeBits), ringDegree);
        var tables = new NttTables(p, ringDegree);
        var random = new Random(ringDegree + (int)primeBits);
        for (int trial = 0; trial < 2; trial++)
        {
            ulong[] a = RandomPolynomial(random, ringDegree, p, small: trial == 0);
            ulong[] b = RandomPolynomial(random, ringDegree, p, small: false);
            ulong[] expected = SchoolbookNegacyclic(a, b, p);

            ulong[] aHat = [.. a], bHat = [.. b];
            NegacyclicNtt.Forward(aHat, tables);
            NegacyclicNtt.Forward(bHat, tables);
            var product = new ulong[ringDegree];
            for (int k = 0; k < ringDegree; k++) product[k] = ModularArithmetic.Multiply(aHat[k], bHat[k], p);
            NegacyclicNtt.Inverse(product, tables);

            Assert.Equal(expected, product);
        }
    }

    [Fact]
    public void InverseUndoesForward()
    {
        ulong p = ModularArithmetic.FindNttPrimeAtLeast((UInt128)1 << 59, 4096);
        var tables = new NttTables(p, 4096);
        ulong[] original = RandomPolynomial(new Random(7), 4096, p, small: false);
        ulong[] values = [.. original];
        NegacyclicNtt.Forward(values, tables);
        Assert.NotEqual(original, values);
        NegacyclicNtt.Inverse(values, tables);
        Assert.Equal(original, values);
    }

    [Fact]
    public void XToTheNIsMinusOne()
    {
        const int n = 1024;
        ulong p = ModularArithmetic.FindNttPrimeAtLeast(1UL << 40, n);
        var tables = new NttTables(p, n);
        var x = new ulong[n];
        var xToNMinusOne = new ulong[n];
        x[1] = 1;
        xToNMinusOne[n - 1] = 1;
        NegacyclicNtt.Forward(x, tables);
        NegacyclicNtt.Forward(xToNMinusOne, tables);
        var product = new ulong[n];
        for (int k = 0; k < n; k++) product[k] = ModularArithmetic.Multiply(x[k], xToNMinusOne[k], p);
        NegacyclicNtt.Inverse(product, tables);

        var expected = new ulong[n];
        expected[0] = p - 1;
        Assert.Equal(expected, product);
    }

    [Theory]
    [InlineData(1UL << 40, 4096)]
    [InlineData(1UL << 59, 8192)]
    public void FoundPrimesAreNttFriendly(ulong minimum, int ringDegree)
    {
        ulong p = ModularArithmetic.FindNttPrimeAtLeast(minimum, ringDegree);
        Assert.True(p >= minimum);
        Assert.True(ModularArithmetic.IsPrime(p));
        Assert.Equal(1UL, p % (2UL * (ulong)ringDegree));
    }

    [Fact]
    public void MillerRabinAgreesWithTrialDivisionOnSmallNumbers()
    {
        for (ulong n = 0; n < 5000; n++)
        {
            bool prime = n >= 2;
            for (ulong d = 2; d * d <= n && prime; d++) prime = n % d != 0;
            Assert.Equal(prime, ModularArithmetic.IsPrime(n));
        }
        Assert.False(ModularArithmetic.IsPrime(3215031751UL)); // strong pseudoprime to bases 2, 3, 5, 7
        Assert.True(ModularArithmetic.IsPrime(2305843009213693951UL)); // 2^61 − 1
    }

    private static ulong[] RandomPolynomial(Random random, int n, ulong p, bool small)
    {
        var values = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            if (small)
            {
                int coefficient = random.Next(-3, 4);
                values[i] = coefficient < 0 ? p - (ulong)(-coefficient) : (ulong)coefficient;
            }
            else
            {
                values[i] = (ulong)random.NextInt64(0, (long)p);
            }
        }
        return values;
    }

    private static ulong[] SchoolbookNegacyclic(ulong[] a, ulong[] b, ulong p)
    {
        int n = a.Length;
        var result = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            if (a[i] == 0) continue;
            for (int j = 0; j < n; j++)
            {
                ulong term = ModularArithmetic.Multiply(a[i], b[j], p);
                int k = i + j;
                // X^N = −1: terms that wrap around change sign.
                result[k % n] = k < n ? ModularArithmetic.Add(result[k], term, p) : ModularArithmetic.Subtract(result[k - n], term, p);
            }
        }
        return result;
    }
}
