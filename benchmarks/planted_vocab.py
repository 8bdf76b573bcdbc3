"""Vocabulary and templates of the planted-duplicate QA set (Korean and English, trade and supply chain).

Written for curator's benchmark: the words are ordinary domain vocabulary, the
templates are shaped like glossary, exam and FAQ questions, and several templates
carry numbers so that questions differing in one number appear as hard negatives.
"""

from __future__ import annotations

KO_TERMS = ["신용장", "선하증권", "원산지증명서", "상업송장", "포장명세서", "보세구역", "환적", "관세", "부가가치세", "통관", "수입신고", "수출신고", "검역", "보험증권", "화물인도지시서", "항공화물운송장", "복합운송", "컨테이너", "벌크화물", "냉동화물", "위험물", "정기선", "부정기선", "용선계약", "체선료", "조출료", "운임", "할증료", "유류할증료", "터미널화물처리비", "서류발급비", "창고료", "재고회전율", "안전재고", "리드타임", "채찍효과", "공급망", "조달", "물류센터", "역물류", "제3자물류", "크로스도킹", "환어음", "추심", "송금", "전신환", "선적기일", "유효기일", "분할선적", "환적금지", "해상보험", "공동해손", "단독해손", "전손", "분손", "클레임", "중재", "품질보증", "검사증명서", "세번분류", "관세율", "특혜관세", "자유무역협정", "원산지결정기준", "세번변경기준", "부가가치기준", "수입허가", "수출허가", "전략물자", "반덤핑관세", "상계관세", "긴급관세", "보세운송", "보세창고", "관세환급", "간이정액환급", "사후관리", "수입요건", "표준품목분류"]
KO_PRODUCTS = ["반도체", "자동차부품", "화장품", "의류", "신발", "커피원두", "냉동새우", "목재", "철강코일", "플라스틱원료", "의약품", "식품첨가물", "가전제품", "배터리", "태양광패널", "섬유원단", "가구", "완구", "타이어", "기계부품", "광학렌즈", "와인", "치즈", "쌀", "밀가루", "대두", "옥수수", "원유", "천연가스", "구리", "알루미늄", "니켈", "종이", "펄프", "유리", "시멘트", "비료", "농약", "어분", "사료"]
KO_COUNTRIES = ["미국", "중국", "일본", "베트남", "독일", "프랑스", "영국", "호주", "캐나다", "인도", "인도네시아", "태국", "말레이시아", "싱가포르", "필리핀", "멕시코", "브라질", "칠레", "페루", "튀르키예", "사우디아라비아", "아랍에미리트", "네덜란드", "벨기에", "이탈리아", "스페인", "폴란드", "체코", "헝가리", "스웨덴", "노르웨이", "핀란드", "덴마크", "뉴질랜드", "대만", "홍콩", "몽골", "카자흐스탄"]
KO_PORTS = ["부산항", "인천항", "광양항", "평택항", "울산항", "상하이항", "닝보항", "선전항", "싱가포르항", "로테르담항", "함부르크항", "롱비치항"]
KO_DOCS = ["선하증권", "상업송장", "포장명세서", "원산지증명서", "보험증권", "검사증명서", "위생증명서", "수출신고필증", "수입신고필증", "식물검역증명서", "동물검역증명서", "적하목록", "화물인도지시서", "선적요청서", "신용장사본"]
KO_PARTIES = ["수출자", "수입자", "운송인", "포워더", "관세사", "선사", "보험자", "개설은행", "통지은행", "매입은행", "창고업자", "화주"]

EN_TERMS = ["letter of credit", "bill of lading", "certificate of origin", "commercial invoice", "packing list", "bonded warehouse", "transshipment", "customs duty", "value added tax", "customs clearance", "import declaration", "export declaration", "quarantine inspection", "insurance policy", "delivery order", "air waybill", "multimodal transport", "reefer container", "bulk cargo", "dangerous goods", "liner service", "tramp shipping", "charter party", "demurrage", "despatch money", "freight rate", "bunker adjustment factor", "terminal handling charge", "documentation fee", "storage charge", "inventory turnover", "safety stock", "lead time", "bullwhip effect", "supply chain", "procurement", "distribution center", "reverse logistics", "third party logistics", "cross docking", "bill of exchange", "documentary collection", "telegraphic transfer", "latest shipment date", "expiry date", "partial shipment", "general average", "particular average", "total loss", "arbitration", "inspection certificate", "tariff classification", "preferential tariff", "free trade agreement", "rules of origin", "change in tariff heading", "regional value content", "export license", "anti-dumping duty", "countervailing duty", "safeguard duty", "bonded transport", "duty drawback", "harmonized system code", "incoterms", "free on board", "cost insurance and freight", "delivered duty paid", "ex works", "free carrier", "carriage paid to", "demand forecasting", "vendor managed inventory", "cycle counting", "economic order quantity", "just in time", "kanban", "landed cost", "consignee", "notify party", "shipping marks"]
EN_PRODUCTS = ["semiconductors", "auto parts", "cosmetics", "apparel", "footwear", "green coffee beans", "frozen shrimp", "timber", "steel coils", "plastic resin", "pharmaceuticals", "food additives", "home appliances", "lithium batteries", "solar panels", "textiles", "furniture", "toys", "tires", "machine parts", "optical lenses", "wine", "cheese", "rice", "wheat flour", "soybeans", "corn", "crude oil", "copper cathodes", "aluminium ingots", "nickel", "paper", "wood pulp", "glass bottles", "cement", "fertilizer", "pesticides", "fish meal", "animal feed", "medical devices"]
EN_COUNTRIES = ["the United States", "China", "Japan", "Vietnam", "Germany", "France", "the United Kingdom", "Australia", "Canada", "India", "Indonesia", "Thailand", "Malaysia", "Singapore", "the Philippines", "Mexico", "Brazil", "Chile", "Peru", "Turkey", "Saudi Arabia", "the UAE", "the Netherlands", "Belgium", "Italy", "Spain", "Poland", "Czechia", "Hungary", "Sweden", "Norway", "Finland", "Denmark", "New Zealand", "Taiwan", "Hong Kong", "Mongolia", "Kazakhstan", "Korea", "Egypt"]
EN_PORTS = ["Busan", "Incheon", "Gwangyang", "Shanghai", "Ningbo", "Shenzhen", "Singapore", "Rotterdam", "Hamburg", "Long Beach", "Antwerp", "Dubai"]
EN_DOCS = ["bill of lading", "commercial invoice", "packing list", "certificate of origin", "insurance certificate", "inspection certificate", "health certificate", "export declaration", "import declaration", "phytosanitary certificate", "veterinary certificate", "cargo manifest", "delivery order", "shipping instructions", "copy of the letter of credit"]
EN_PARTIES = ["exporter", "importer", "carrier", "freight forwarder", "customs broker", "shipping line", "insurer", "issuing bank", "advising bank", "negotiating bank", "warehouse operator", "shipper"]

# (question, answer) templates. Slots: term, product, country, country2, port, doc, party, n, m.
KO_TEMPLATES = (
    ("{term}의 뜻은 무엇인가요?", "{term}은(는) 무역 거래에서 {party}와 관련된 핵심 개념입니다."),
    ("{country}에서 {product}{eul} 수입할 때 필요한 서류는 무엇인가요?", "{country}산 {product} 수입에는 {doc}이(가) 필요합니다."),
    ("{product}{eul} {country}{ro} 수출할 때 {doc}{eun} 누가 준비하나요?", "일반적으로 {party}{i} {doc}{eul} 준비합니다."),
    ("{port}에서 {country2}{ro} 가는 {product} 화물의 운송 기간은 보통 얼마인가요?", "보통 {n}일 정도 걸립니다."),
    ("{term} 거래에서 {party}의 책임은 어디까지인가요?", "{party}{eun} {port}에서 화물을 인도할 때까지 책임을 집니다."),
    ("{n}개의 컨테이너에 {product}{eul} 실을 때 {doc}{eun} 몇 부가 필요한가요?", "{doc}{eun} {m}부가 필요합니다."),
    ("수입 물품 가격이 {n}만 원이고 관세율이 {m}%일 때 관세는 얼마인가요?", "관세는 {n}만 원의 {m}%입니다."),
    ("{country}{gwa} 체결한 자유무역협정에서 {product}의 원산지결정기준은 무엇인가요?", "{product}에는 {term} 기준이 적용됩니다."),
    ("{term}{eul} 적용받으려면 {party}{eun} 어떤 절차를 거쳐야 하나요?", "{party}{eun} {doc}{eul} 제출하고 심사를 받아야 합니다."),
    ("{port}의 보세구역에 {product}{eul} {n}일 이상 보관하면 어떻게 되나요?", "{n}일이 지나면 {term} 규정에 따라 처리됩니다."),
    ("{party}{i} {doc}{eul} 늦게 제출하면 어떤 문제가 생기나요?", "{term} 절차가 지연되어 추가 비용이 발생할 수 있습니다."),
    ("{country}{ro} 보내는 {product}에 {term}{i} 부과되나요?", "{country}{ro} 가는 {product}에는 {term}{i} 부과될 수 있습니다."),
    ("{year}년 기준으로 {country}의 {product} 수입 관세율은 몇 퍼센트인가요?", "{year}년 기준 {m}%입니다."),
    ("신용장 금액이 {n}만 달러일 때 {m}% 과부족이 허용되면 최대 청구 금액은 얼마인가요?", "최대 {n}만 달러의 {m}%를 더한 금액입니다."),
)
EN_TEMPLATES = (
    ("What does \"{term}\" mean in international trade?", "\"{term}\" is a core concept that concerns the {party}."),
    ("Which documents are needed to import {product} from {country}?", "Importing {product} from {country} needs a {doc}."),
    ("Who prepares the {doc} when {product} are exported to {country}?", "Usually the {party} prepares the {doc}."),
    ("How long does a shipment of {product} take from {port} to {country2}?", "It usually takes about {n} days."),
    ("Under {term}, where does the responsibility of the {party} end?", "The {party} is responsible until delivery at {port}."),
    ("How many copies of the {doc} are needed for {n} containers of {product}?", "You need {m} copies of the {doc}."),
    ("If the customs value is {n} thousand dollars and the duty rate is {m}%, what is the duty?",
     "The duty is {m}% of {n} thousand dollars."),
    ("Under the free trade agreement with {country}, which origin rule applies to {product}?",
     "For {product} the {term} rule applies."),
    ("What steps must the {party} take to apply {term}?", "The {party} must submit a {doc} and pass a review."),
    ("What happens if {product} stay in a bonded area at {port} for more than {n} days?",
     "After {n} days the goods are handled under the {term} rules."),
    ("What problems arise when the {party} submits the {doc} late?", "The {term} process is delayed and extra costs arise."),
    ("Is {term} charged on {product} shipped to {country}?", "{term} may be charged on {product} shipped to {country}."),
    ("What was the import duty rate on {product} in {country} in {year}?", "In {year} the rate was {m}%."),
    ("A letter of credit is for {n} thousand dollars with {m}% tolerance; what is the maximum drawing?",
     "At most {n} thousand dollars plus {m}%."),
)

# Framing that real questions carry: who asks, in what situation, and what they want back. Never empty:
# a question and the same question with a framing added would be near duplicates, not distinct questions.
KO_ROLES = ("", "", "무역 초보자입니다.", "실무 담당자로서 묻습니다.", "관세사 시험 준비 중입니다.", "구매팀에서 일합니다.",
            "물류팀 신입입니다.", "수출기업 대표입니다.")
KO_SITUATIONS = ("수출 실무에서", "중소기업 입장에서", "처음 거래하는 경우", "해상 운송이라면", "항공 운송이라면",
                 "긴급 주문일 때", "샘플 선적이라면", "FTA를 활용하려는 경우", "세관 심사 중에", "계약서를 쓰기 전에",
                 "신규 거래처와", "대량 주문의 경우", "분할 선적을 한다면", "연말 성수기에", "환율이 오를 때",
                 "재수출을 고려한다면", "보세 상태에서", "전자상거래로 판매할 때", "포워더를 통해 보낼 때", "직접 통관할 때")
KO_REQUESTS = ("간단히 설명해 주세요.", "예시와 함께 알려 주세요.", "주의할 점도 알려 주세요.", "근거 규정도 알려 주세요.",
               "실무 기준으로 답해 주세요.", "표로 정리해 주세요.", "핵심만 알려 주세요.", "단계별로 설명해 주세요.")
KO_SIGN_OFFS = ("", " 감사합니다.", " 부탁드립니다.", " 급합니다.")
EN_ROLES = ("", "", "I am new to trade.", "Asking as an operations clerk.", "I am studying for the customs exam.",
            "I work in purchasing.", "I just joined the logistics team.", "I run a small export business.")
EN_SITUATIONS = ("In practice,", "For a small exporter,", "For a first shipment,", "When shipping by sea,",
                 "When shipping by air,", "For an urgent order,", "For a sample shipment,", "When using an FTA,",
                 "During a customs audit,", "Before signing the contract,", "With a new buyer,", "For a bulk order,",
                 "With partial shipments,", "In the peak season,", "When the exchange rate rises,",
                 "If we plan to re-export,", "While goods are bonded,", "When selling online,",
                 "When shipping through a forwarder,", "When clearing customs ourselves,")
EN_REQUESTS = ("Please explain briefly.", "Give an example.", "What should I watch out for?", "Cite the rule if possible.",
               "Answer from practice.", "Put it in a table.", "Just the key points.", "Explain step by step.")
EN_SIGN_OFFS = ("", " Thanks.", " Thank you in advance.", " It is urgent.")
