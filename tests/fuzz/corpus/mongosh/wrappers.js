{ a: ISODate("2024-08-12T21:41:01.788Z"), b: new Date("2024-08-12"), c: new Date(1723498861788),
  d: NumberInt(5), e: NumberLong("9223372036854775807"), f: NumberDecimal("1.5"), g: ObjectId("65a1b2c3d4e5f60718293a4b"),
  h: Timestamp(1, 2), i: /^a.*\/b/gi, j: undefined, k: +.5e3, l: 5., 'm.n': -0, 0: null, }; // trailing
