// GENERATED from the real scikit-learn 1.2.1 and numpy 1.24.2 (Debian bookworm's
// python3-sklearn, python3-numpy; /usr/bin/python3) by this Python:
//
//   # Generator of this file (run: /usr/bin/python3 gen.py > tests/datasets/sklearn_fixtures.hpp). Doubles: repr.
//   # numpy 1.24 computes float64 cos/sin with AVX-512 SVML kernels on AVX512_SKX CPUs (the generating
//   # machine is one); they differ from glibc's cos/sin by 1 ulp for some inputs, so sklearn's moons and
//   # circles depend on the CPU. *_X is the default run; *_X_scalar_patch lists (flat index, signed
//   # nextafter steps) where numpy with AVX-512 disabled (the libm path) gives another double.
//   import os, subprocess, sys
//   import numpy as np, sklearn
//   from sklearn.datasets import make_moons, make_circles
//   from sklearn.model_selection import train_test_split, KFold
//   from sklearn.preprocessing import StandardScaler
//   NO512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
//   def point_sets():
//       return {"moons100": make_moons(100, noise=0.25, random_state=2),
//               "moons7": make_moons(7, noise=0.1, random_state=0),
//               "moons10_plain": make_moons(10, shuffle=False),
//               "circles20": make_circles(20, noise=0.05, random_state=3, factor=0.5),
//               "circles7": make_circles(7, random_state=0)}
//   if sys.argv[1:] == ["--points"]:
//       for name, (X, y) in point_sets().items(): print(name, " ".join(map(repr, X.ravel().tolist())))
//       sys.exit(0)
//   out = []
//   emit = out.append
//   def dbl(name, a):
//       a = np.asarray(a, dtype=np.float64).ravel().tolist()
//       emit(f"inline constexpr double {name}[] = {{")
//       for i in range(0, len(a), 4): emit("    " + ", ".join(map(repr, a[i:i + 4])) + ",")
//       emit("};")
//   def ints(name, a, ty="std::size_t"):
//       a = [int(v) for v in np.asarray(a).ravel()]
//       emit(f"inline constexpr {ty} {name}[] = {{")
//       for i in range(0, len(a), 16): emit("    " + ", ".join(map(str, a[i:i + 16])) + ",")
//       emit("};")
//   emit(f"// GENERATED from the real scikit-learn {sklearn.__version__} and numpy {np.__version__} (Debian bookworm's")
//   emit("// python3-sklearn, python3-numpy; /usr/bin/python3) by this Python:")
//   emit("//")
//   for line in open(os.path.abspath(__file__)).read().splitlines(): emit(("//   " + line).rstrip())
//   emit("#pragma once\n\n#include <cstddef>\n#include <cstdint>\n\nnamespace sklearn_fixtures {\n")
//   # RandomState(5): the seeded key, then one continuing stream
//   key = np.random.RandomState(5).get_state()[1]
//   ints("rs5_key_head", key[:4], "std::uint32_t"); ints("rs5_key_623", key[623:], "std::uint32_t")
//   rs = np.random.RandomState(5)
//   ints("rs5_raw_u32", rs.randint(0, 2**32, size=5, dtype=np.uint32), "std::uint32_t")
//   dbl("rs5_random_sample", rs.random_sample(5))
//   dbl("rs5_standard_normal", rs.standard_normal(5))  # odd count: one gaussian stays cached
//   ints("rs5_randint_0_10", rs.randint(0, 10, size=6), "std::int64_t")
//   ints("rs5_permutation_10", rs.permutation(10))
//   dbl("rs5_standard_normal_after", rs.standard_normal(3))  # the cached one comes first
//   dbl("rs5_uniform_m1_3", rs.uniform(-1, 3, size=3))
//   dbl("rs5_normal_1p5_2", rs.normal(1.5, 2.0, size=3))
//   ints("rs5_randint_big", rs.randint(-5, 2**40, size=4), "std::int64_t")
//   a = np.arange(12); rs.shuffle(a); ints("rs5_shuffle_12", a)
//   dbl("rs_max_seed_random_sample", np.random.RandomState(2**32 - 1).random_sample(2))
//   dbl("rs0_random_sample", np.random.RandomState(0).random_sample(3))
//   # make_moons / make_circles
//   env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=NO512)
//   scalar = {l.split()[0]: np.array([float(v) for v in l.split()[1:]]) for l in subprocess.run(
//       [sys.executable, os.path.abspath(__file__), "--points"], env=env, capture_output=True,
//       text=True, check=True).stdout.splitlines()}
//   okey = lambda a: np.where(a.view(np.int64) < 0, -(a.view(np.int64) & (2**63 - 1)), a.view(np.int64))
//   for name, (X, y) in point_sets().items():
//       emit(f"\n// {name}: X shape {X.shape}")
//       dbl(name + "_X", X); ints(name + "_y", y, "int")
//       patch = [(i, int(d)) for i, d in enumerate(okey(scalar[name]) - okey(X.ravel().copy())) if d]
//       emit(f"inline constexpr std::size_t {name}_X_scalar_patch_size = {len(patch)};")
//       emit(f"inline constexpr int {name}_X_scalar_patch[][2] = {{")
//       for i in range(0, max(len(patch), 1), 8):
//           emit("    " + " ".join("{%d, %d}," % e for e in (patch[i:i + 8] or [(0, 0)])))
//       emit("};")
//   # train_test_split
//   tr, te = train_test_split(np.arange(506), test_size=0.3, random_state=42)
//   emit(f"\ninline constexpr std::size_t boston_n_train = {len(tr)}, boston_n_test = {len(te)};")
//   ints("boston_test_head", te[:20]); ints("boston_train_head", tr[:20])
//   ints("boston_test_tail", te[-5:]); ints("boston_train_tail", tr[-5:])
//   ck = lambda a: sum((i + 1) * int(v) for i, v in enumerate(a))  # sum over i of (i+1)*a[i]
//   emit(f"inline constexpr std::uint64_t boston_test_checksum = {ck(te)}, boston_train_checksum = {ck(tr)};")
//   tr, te = train_test_split(np.arange(10), test_size=3, random_state=0)
//   ints("split10_count3_seed0_train", tr); ints("split10_count3_seed0_test", te)
//   tr, te = train_test_split(np.arange(100), test_size=0.07, random_state=7)  # 0.07*100 = 7.000000000000001
//   ints("split100_frac007_seed7_train", tr); ints("split100_frac007_seed7_test", te)
//   tr, te = train_test_split(np.arange(9), test_size=0.25, shuffle=False)
//   ints("split9_noshuffle_train", tr); ints("split9_noshuffle_test", te)
//   # KFold
//   def folds(name, n, **kw):
//       sp = list(KFold(**kw).split(np.zeros((n, 1))))
//       emit(f"// {name}: KFold({', '.join(f'{k}={v!r}' for k, v in kw.items())}) on {n} rows")
//       ints(name + "_val", np.concatenate([t for _, t in sp]))
//       ints(name + "_val_sizes", [len(t) for _, t in sp])
//       ints(name + "_train", np.concatenate([r for r, _ in sp]))
//   folds("kfold23_5_shuffle1", 23, n_splits=5, shuffle=True, random_state=1)
//   folds("kfold10_3_plain", 10, n_splits=3)
//   # StandardScaler (column 1 is constant)
//   Xtr = np.array([[1.0, 5.0, -2.0], [2.0, 5.0, 0.5], [4.0, 5.0, 3.25], [-3.5, 5.0, 8.0]])
//   Xte = np.array([[0.0, 5.0, 1.0], [10.0, 4.0, -1.0]])
//   sc = StandardScaler().fit(Xtr)
//   dbl("scaler_train", Xtr); dbl("scaler_test", Xte)
//   dbl("scaler_mean", sc.mean_); dbl("scaler_var", sc.var_); dbl("scaler_scale", sc.scale_)
//   dbl("scaler_train_t", sc.transform(Xtr)); dbl("scaler_test_t", sc.transform(Xte))
//   emit("\n}  // namespace sklearn_fixtures")
//   print("\n".join(out))
#pragma once

#include <cstddef>
#include <cstdint>

namespace sklearn_fixtures {

inline constexpr std::uint32_t rs5_key_head[] = {
    5, 472231674, 2253902500, 3404394881,
};
inline constexpr std::uint32_t rs5_key_623[] = {
    2337553471,
};
inline constexpr std::uint32_t rs5_raw_u32[] = {
    953453411, 236996814, 3739766767, 3570525885, 887852006,
};
inline constexpr double rs5_random_sample[] = {
    0.36373689710058943, 0.979444999161446, 0.08982103773760686, 0.39673660521140586,
    0.3541380429150014,
};
inline constexpr double rs5_standard_normal[] = {
    0.26940573448948385, -0.007334243600221335, 0.5364539259894983, 1.1065178300827117,
    -0.5580231455261305,
};
inline constexpr std::int64_t rs5_randint_0_10[] = {
    1, 4, 6, 2, 9, 9,
};
inline constexpr std::size_t rs5_permutation_10[] = {
    8, 4, 3, 6, 7, 5, 0, 2, 1, 9,
};
inline constexpr double rs5_standard_normal_after[] = {
    0.6924318091632529, -0.8591906148994914, 0.12870951376634027,
};
inline constexpr double rs5_uniform_m1_3[] = {
    2.9839556522460744, 0.9096068800853354, 1.7396624296857,
};
inline constexpr double rs5_normal_1p5_2[] = {
    2.2267517840920337, 3.6489683375697957, -2.4998935503832866,
};
inline constexpr std::int64_t rs5_randint_big[] = {
    790212239742, 391954839625, 68728986713, 62145979349,
};
inline constexpr std::size_t rs5_shuffle_12[] = {
    4, 10, 7, 1, 11, 3, 8, 2, 5, 0, 6, 9,
};
inline constexpr double rs_max_seed_random_sample[] = {
    0.0976320289940138, 0.9123828453026218,
};
inline constexpr double rs0_random_sample[] = {
    0.5488135039273248, 0.7151893663724195, 0.6027633760716439,
};

// moons100: X shape (100, 2)
inline constexpr double moons100_X[] = {
    1.0405128227952374, -0.023349135228193374, -0.5547413978649504, 1.270138323006094,
    -0.07237150663268271, -0.17790120469680326, -0.04719612724457223, 1.2188359509560767,
    0.913794474655346, 0.8598832398514512, 0.5411501272130803, 0.695140254647652,
    0.7030260935912214, -0.2579850724553676, -0.1334010913134865, 1.0695948101991506,
    -0.11428771814193239, 0.8976882731222715, 1.0115090346962146, 0.8499165816631727,
    2.125371984821916, 0.5086057944358123, 1.7001078046051121, 0.7162657669295874,
    1.5543971152971792, -0.8605855920886378, 0.5550278076833317, 0.5768362467328455,
    1.1548196407108255, -0.14321990536564877, 0.28614560706274117, 1.3228261571506756,
    0.4895452114335725, 0.29153687866608363, -0.6677966647881057, 0.7817302731690885,
    0.2234535554326935, 0.03346027667206408, 1.18698240834327, -0.3390293250722305,
    -0.6085079465473695, 0.4542652975385158, 0.8295438718381585, 0.7390896460668223,
    1.13299057763421, -0.2622701849373147, -1.1256044475794897, 0.20336270043467475,
    0.37778650544438275, -0.4781113254481788, 0.8344959676695767, 0.17704369182428933,
    0.0957043344354868, 1.1945962855102503, 1.1952204426918962, -0.6167829327428398,
    1.1854236280522645, -0.6480917856670462, 0.19162709742828687, -0.1871100630194869,
    0.6226824373842086, -0.3720741773266468, 0.8792114100230297, 0.05143579666424683,
    0.895362308309449, 0.5415631016462561, -1.0036268254326453, 0.10742026856401471,
    -0.44782494265201733, 0.6575133704116325, 1.6448510075764338, -0.5008124013784081,
    0.7294455668841027, 0.6599444457171464, 1.6047214411979285, 0.049123143491903803,
    1.758693211637537, 0.16208863832520326, 1.0912203962093225, 0.892641380087816,
    0.6917519557794118, 0.7532851631451223, -0.025878272584972203, 0.7375202220677157,
    1.8074126429056772, -0.28683457516873706, -0.4950004151095654, 0.3899996677894231,
    2.013010784248757, 0.09217788555674836, -0.1446184101359022, 1.0456476724405066,
    0.6243163451173381, 0.8928584862159944, 0.002848191499850508, 0.9702055937882728,
    0.10433350182436107, 0.25878469306270885, 0.18305643140815087, -0.33401965998379646,
    1.1956478384542368, 0.45851344279119405, 2.291164658606234, 0.5777943118602544,
    0.6870673474927139, 0.4239054082856963, -0.015404388778254202, -0.07886598013427652,
    0.05287056411423481, -0.001757867816727099, -0.9779168735145679, 0.6663353640037203,
    0.6622572258779134, -0.4754618880563211, -0.5996363371549458, 0.12350453484734361,
    2.1532910951422983, 0.27076144364917754, 1.2536599423175423, 0.08416801897194476,
    0.7045981290195139, -0.5531718461844594, 2.0712034156661576, 0.16533309612202116,
    1.9817077267877141, -0.23151593673311532, 2.308379838205417, 0.10650148941921533,
    1.3651066883324634, -0.08372111861489431, 1.271190719447864, -0.03425057622078115,
    -0.13713267916688113, 0.3184396059888853, -0.17259364358717832, 0.7462981338534733,
    0.8449532369425325, -0.5307371635092517, 1.6731447756855549, -0.49094162973070943,
    0.9004380958501172, -0.34404277396998406, -1.3026784254462298, -0.1594900148670579,
    0.34978612937785014, -0.8426585457492897, 0.911263136067087, -0.4260726561768503,
    1.5322735592888843, -0.6026104513991735, 0.2679255372493363, -0.10798258328672249,
    -0.5844168223299014, 0.6591512770849155, -0.9635420814470774, 1.2626690482068037,
    0.0728217286998718, 0.41576004924606075, -1.4982102137921443, 0.6328610982082125,
    0.943331071051255, 0.09599203127340605, 0.29447313592499846, -0.5825176069589085,
    -1.0162542614869463, 0.7630145859965686, -0.561742417332564, 0.4494375225775892,
    0.13314274374576257, 0.8524750063142604, -0.2380442106640367, 0.6488540457160208,
    0.9688544083324482, -0.46512049320843835, -1.2517217610745635, 0.06857872411741925,
    1.4029623202106163, -0.386856667921203, 1.8515761677337315, 0.41640324290797337,
    -0.9329563770715126, -0.04450404677238495, -0.6563757143701725, 0.3362036075290193,
    1.0782461688111724, 0.1904395205157647, 0.8148378583530405, -0.5268474593129617,
    0.9495871854957936, -0.34953183249025255, -0.8273205081169759, 0.5234392876931508,
    0.49126211775553463, 0.807694062409639, 0.22045135110311387, -0.44779757209605275,
    0.7603685915748339, 0.6707006809322246, -0.6639312188117191, 0.7044495263259327,
};
inline constexpr int moons100_y[] = {
    1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0,
    0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0,
    0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0,
    1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0,
    0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0,
    0, 1, 0, 0,
};
inline constexpr std::size_t moons100_X_scalar_patch_size = 88;
inline constexpr int moons100_X_scalar_patch[][2] = {
    {4, -8}, {5, 4}, {7, -1}, {8, 1}, {12, 2}, {14, 1}, {15, 1}, {16, 2},
    {17, -2}, {19, -1}, {23, -1}, {25, -1}, {26, 2}, {27, -1}, {30, -1}, {31, -1},
    {32, -2}, {33, -1}, {36, 8}, {37, -16}, {39, 2}, {40, -1}, {41, -2}, {42, -2},
    {43, 1}, {44, 1}, {49, -2}, {55, -1}, {57, 2}, {58, 4}, {61, 2}, {66, -1},
    {68, -2}, {69, -1}, {71, 2}, {72, 1}, {74, -1}, {77, -4}, {79, 1}, {80, -1},
    {82, 32}, {83, 2}, {86, 2}, {87, 2}, {89, 8}, {92, -1}, {94, 32}, {95, 1},
    {96, 8}, {97, -2}, {101, 2}, {104, 1}, {105, 2}, {107, -8}, {108, -16}, {111, 1},
    {112, -2}, {113, 2}, {114, 1}, {115, -4}, {116, 1}, {119, 4}, {121, 1}, {125, -4},
    {129, 8}, {134, -8}, {136, -2}, {138, -1}, {139, -2}, {141, 2}, {150, -2}, {151, -8},
    {152, -1}, {160, -1}, {161, -4}, {162, -2}, {163, -1}, {168, -2}, {169, -1}, {173, 2},
    {174, -1}, {177, 2}, {178, 1}, {182, -1}, {187, 2}, {190, -1}, {197, -1}, {199, 1},
};

// moons7: X shape (7, 2)
inline constexpr double moons7_X[] = {
    1.9157275946170713, 0.6969924447869893, -0.8733881470142222, -0.05058765397605105,
    0.25452007784710545, 1.1080811913055446, 0.04843121541206648, 0.5579140478706729,
    0.9818417427268804, 0.1410204631131214, 1.462552830901979, -0.33850557222680666,
    0.40392453882662105, -0.3283327062849102,
};
inline constexpr int moons7_y[] = {
    1, 0, 0, 1, 0, 1, 1,
};
inline constexpr std::size_t moons7_X_scalar_patch_size = 1;
inline constexpr int moons7_X_scalar_patch[][2] = {
    {13, -2},
};

// moons10_plain: X shape (10, 2)
inline constexpr double moons10_plain_X[] = {
    1.0, 0.0, 0.7071067811865477, 0.7071067811865476,
    6.123233995736766e-17, 1.0, -0.7071067811865475, 0.7071067811865477,
    -1.0, 1.2246467991473532e-16, 0.0, 0.5,
    0.2928932188134523, -0.20710678118654757, 0.9999999999999999, -0.5,
    1.7071067811865475, -0.20710678118654768, 2.0, 0.4999999999999999,
};
inline constexpr int moons10_plain_y[] = {
    0, 0, 0, 0, 0, 1, 1, 1, 1, 1,
};
inline constexpr std::size_t moons10_plain_X_scalar_patch_size = 6;
inline constexpr int moons10_plain_X_scalar_patch[][2] = {
    {2, -1}, {3, -1}, {7, -1}, {12, 2}, {13, 4}, {17, 4},
};

// circles20: X shape (20, 2)
inline constexpr double circles20_X[] = {
    -0.4777367062698388, 0.28183625719672084, 0.3034358585087903, 0.8403330855505013,
    0.816138948893185, 0.5988583223009952, -0.15819470650640235, -0.4576464662235676,
    -0.9011952305740961, 0.6129063075052269, -0.4841982376307522, -0.26322474746964175,
    -0.7297598149899236, -0.6017477888215519, -0.3377564604963552, -0.9134069319513843,
    -0.4841796545027266, 0.02846977437143146, 0.20547099316314155, 0.4467098984961071,
    0.7388467262245688, -0.6819151768060986, 0.4729969879466366, 0.27331274181997933,
    0.4358346717732741, -0.38583620925392453, 0.186104623474914, -0.40400343117815196,
    -0.1253046538547475, 0.41913862120576906, -0.9580000816705584, 0.018413701854670943,
    0.9763360231664554, 0.05850939976891037, 0.3120201018677833, -0.9559522379306571,
    -0.33489261600811804, 1.043192536392331, 0.5131536352145167, -0.1125048608512061,
};
inline constexpr int circles20_y[] = {
    1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0,
    0, 0, 0, 1,
};
inline constexpr std::size_t circles20_X_scalar_patch_size = 26;
inline constexpr int circles20_X_scalar_patch[][2] = {
    {0, 1}, {1, 1}, {2, -1}, {3, -2}, {4, -1}, {5, 1}, {6, 1}, {8, 1},
    {9, 1}, {10, 1}, {11, -1}, {13, -2}, {14, 2}, {18, -1}, {19, -1}, {21, -1},
    {22, -1}, {23, 1}, {25, -1}, {26, -1}, {28, 1}, {29, -2}, {34, -1}, {35, 1},
    {36, 1}, {37, -1},
};

// circles7: X shape (7, 2)
inline constexpr double circles7_X[] = {
    -1.4695761589768238e-16, -0.8, -0.5000000000000003, -0.8660254037844383,
    -0.4999999999999997, 0.8660254037844387, 0.8, 0.0,
    1.0, 0.0, -0.8, 9.797174393178826e-17,
    4.898587196589413e-17, 0.8,
};
inline constexpr int circles7_y[] = {
    1, 0, 0, 1, 0, 1, 1,
};
inline constexpr std::size_t circles7_X_scalar_patch_size = 3;
inline constexpr int circles7_X_scalar_patch[][2] = {
    {2, -1}, {3, -1}, {4, -1},
};

inline constexpr std::size_t boston_n_train = 354, boston_n_test = 152;
inline constexpr std::size_t boston_test_head[] = {
    173, 274, 491, 72, 452, 76, 316, 140, 471, 500, 218, 9, 414, 78, 323, 473,
    124, 388, 195, 448,
};
inline constexpr std::size_t boston_train_head[] = {
    5, 116, 45, 16, 468, 360, 3, 405, 185, 60, 110, 321, 265, 29, 262, 478,
    26, 7, 492, 108,
};
inline constexpr std::size_t boston_test_tail[] = {
    441, 23, 225, 433, 447,
};
inline constexpr std::size_t boston_train_tail[] = {
    106, 270, 348, 435, 102,
};
inline constexpr std::uint64_t boston_test_checksum = 2858259, boston_train_checksum = 16158660;
inline constexpr std::size_t split10_count3_seed0_train[] = {
    9, 1, 6, 7, 3, 0, 5,
};
inline constexpr std::size_t split10_count3_seed0_test[] = {
    2, 8, 4,
};
inline constexpr std::size_t split100_frac007_seed7_train[] = {
    86, 22, 13, 40, 52, 12, 88, 45, 11, 66, 20, 18, 50, 2, 17, 85,
    5, 97, 51, 30, 74, 96, 65, 54, 27, 58, 33, 43, 36, 21, 32, 70,
    62, 99, 73, 59, 41, 10, 76, 95, 28, 80, 29, 31, 16, 81, 1, 84,
    77, 87, 3, 35, 90, 9, 46, 4, 38, 89, 34, 64, 61, 53, 79, 24,
    56, 69, 63, 82, 60, 19, 6, 55, 75, 0, 44, 7, 48, 98, 39, 8,
    42, 72, 94, 14, 57, 92, 23, 83, 67, 25, 68, 47,
};
inline constexpr std::size_t split100_frac007_seed7_test[] = {
    37, 26, 78, 91, 49, 15, 93, 71,
};
inline constexpr std::size_t split9_noshuffle_train[] = {
    0, 1, 2, 3, 4, 5,
};
inline constexpr std::size_t split9_noshuffle_test[] = {
    6, 7, 8,
};
// kfold23_5_shuffle1: KFold(n_splits=5, shuffle=True, random_state=1) on 23 rows
inline constexpr std::size_t kfold23_5_shuffle1_val[] = {
    3, 13, 17, 19, 20, 2, 4, 10, 16, 18, 0, 1, 6, 7, 14, 9,
    15, 21, 22, 5, 8, 11, 12,
};
inline constexpr std::size_t kfold23_5_shuffle1_val_sizes[] = {
    5, 5, 5, 4, 4,
};
inline constexpr std::size_t kfold23_5_shuffle1_train[] = {
    0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18,
    21, 22, 0, 1, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 17,
    19, 20, 21, 22, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 15, 16,
    17, 18, 19, 20, 21, 22, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10,
    11, 12, 13, 14, 16, 17, 18, 19, 20, 0, 1, 2, 3, 4, 6, 7,
    9, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
};
// kfold10_3_plain: KFold(n_splits=3) on 10 rows
inline constexpr std::size_t kfold10_3_plain_val[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
};
inline constexpr std::size_t kfold10_3_plain_val_sizes[] = {
    4, 3, 3,
};
inline constexpr std::size_t kfold10_3_plain_train[] = {
    4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 7, 8, 9, 0, 1, 2,
    3, 4, 5, 6,
};
inline constexpr double scaler_train[] = {
    1.0, 5.0, -2.0, 2.0,
    5.0, 0.5, 4.0, 5.0,
    3.25, -3.5, 5.0, 8.0,
};
inline constexpr double scaler_test[] = {
    0.0, 5.0, 1.0, 10.0,
    4.0, -1.0,
};
inline constexpr double scaler_mean[] = {
    0.875, 5.0, 2.4375,
};
inline constexpr double scaler_var[] = {
    7.546875, 0.0, 13.76171875,
};
inline constexpr double scaler_scale[] = {
    2.747157621979489, 1.0, 3.709679062937925,
};
inline constexpr double scaler_train_t[] = {
    0.045501575519329006, 0.0, -1.1961951221962766, 0.40951417967396103,
    0.0, -0.5222823772969658, 1.1375393879832252, 0.0,
    0.21902164209227598, -1.5925551431765153, 0.0, 1.4994558574009664,
};
inline constexpr double scaler_test_t[] = {
    -0.31851102863530306, 0.0, -0.38749982831710367, 3.3216150129110176,
    -1.0, -0.9266300242365523,
};

}  // namespace sklearn_fixtures
