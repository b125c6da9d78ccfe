using FedLlm.Synthesis.Budget;
using FsCheck;
using FsCheck.Xunit;

namespace FedLlm.Tests.Synthesis;

public class BudgetAllocatorTests
{
    [Fact]
    public void EqualSplitsTheRemainderToTheFirstParts()
    {
        Assert.Equal([4, 3, 3], BudgetAllocator.Equal(10, 3));
        Assert.Equal([0, 0, 0, 0], BudgetAllocator.Equal(0, 4));
    }

    [Fact]
    public void InverseFrequencyFavoursRareClasses()
    {
        // Weights 1/10, 1/20, 1/40 → quotas 40·(4, 2, 1)/7 = 22.86, 11.43, 5.71 → floors 22, 11, 5 (38);
        // the two largest remainders (.86, .71) get one more.
        Assert.Equal([23, 11, 6], BudgetAllocator.InverseFrequency(40, [10, 20, 40]));
        // An empty class counts as one example: weights 1, 1/3 → 12·(3/4, 1/4).
        Assert.Equal([9, 3], BudgetAllocator.InverseFrequency(12, [0, 3]));
    }

    [Fact]
    public void FillToBalanceRaisesTheSmallestClassesToOneLevel()
    {
        // Counts 2, 5, 10, 20 with 10 to give: level 8.5 raises the first two (6.5 + 3.5); halves go to the lower index.
        Assert.Equal([7, 3, 0, 0], BudgetAllocator.FillToBalance(10, [2, 5, 10, 20]));
        // 20 to give: level (20 + 17)/3 = 12.33 lifts the three smallest; thirds tie, the lowest index gets the spare one.
        Assert.Equal([11, 7, 2, 0], BudgetAllocator.FillToBalance(20, [2, 5, 10, 20]));
        // 42 to give: level (42 + 17)/3 = 19.67 still stays below the largest class; thirds tie, lower indices first.
        Assert.Equal([18, 15, 9, 0], BudgetAllocator.FillToBalance(42, [2, 5, 10, 20]));
        // 60: level (60 + 37)/4 = 24.25 lifts all four.
        Assert.Equal([23, 19, 14, 4], BudgetAllocator.FillToBalance(60, [2, 5, 10, 20]));
        Assert.Equal([0, 0, 0], BudgetAllocator.FillToBalance(0, [1, 2, 3]));
    }

    [Fact]
    public void PolicyNamesAreCheckedWithTheKey()
    {
        Assert.Equal([4, 3, 3], BudgetPolicy.Allocate("Equal", 10, [5, 0, 9]));
        Assert.Equal(BudgetPolicy.FillToBalance, BudgetPolicy.Parse("fill-to-balance", "fedgc.budget"));
        var error = Assert.Throws<ArgumentException>(() => BudgetPolicy.Parse("balanced", "fedgc.budget"));
        Assert.Equal("fedgc.budget 'balanced' is unknown (valid: equal, inverse_frequency, fill_to_balance)", error.Message);
    }

    [Property(MaxTest = 300)]
    public bool EveryPolicyHitsTheTotalExactlyAndIsDeterministic(NonEmptyArray<NonNegativeInt> rawCounts, NonNegativeInt rawTotal)
    {
        int[] counts = [.. rawCounts.Get.Take(12).Select(c => c.Get % 1000)];
        int total = rawTotal.Get % 100_000;
        return BudgetPolicy.All.All(policy =>
        {
            int[] shares = BudgetPolicy.Allocate(policy, total, counts);
            return shares.Length == counts.Length && shares.Sum() == total && shares.All(s => s >= 0)
                && shares.SequenceEqual(BudgetPolicy.Allocate(policy, total, counts));
        });
    }

    [Property(MaxTest = 200)]
    public bool FillToBalanceNeverLeavesAFilledClassBelowAnUnfilledOne(NonEmptyArray<NonNegativeInt> rawCounts, NonNegativeInt rawTotal)
    {
        int[] counts = [.. rawCounts.Get.Take(12).Select(c => c.Get % 100)];
        int[] shares = BudgetAllocator.FillToBalance(rawTotal.Get % 1000, counts);
        int[] after = [.. counts.Select((c, i) => c + shares[i])];
        // Water-filling: every class that got something ends within one of the lowest final level, and no class
        // that got nothing ends below a class that got something (up to that rounding unit).
        int floor = after.Min();
        return Enumerable.Range(0, counts.Length).All(i => shares[i] == 0 || after[i] <= floor + 1)
            && Enumerable.Range(0, counts.Length).All(i => shares[i] > 0 || after[i] + 1 >= after.Where((_, j) => shares[j] > 0).DefaultIfEmpty(0).Max());
    }
}
